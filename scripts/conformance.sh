#!/usr/bin/env bash
# Runs the MCP conformance suite (@modelcontextprotocol/conformance, pinned in
# package.json) against agentmcp over streamable HTTP on loopback, and fails
# on any regression: a scenario failing that scripts/conformance-baseline.yml
# does not list, or a listed one that now passes (the baseline is stale).
#
# Needs `npm ci` first. The suite tests servers by URL only, with no way to
# send a bearer token, so this server runs without --http-token, on
# 127.0.0.1 only, in --dry-run mode (no vendor call is possible) and with its
# journal in a temporary folder.
#
# Extra arguments go to the suite, e.g. --scenario tools-list or --verbose.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

need_npm_tools
find_node22
build_server

# The journal stays on (in $work) so the journal resource is served and the
# resources-list scenario is checked too.
start_http_server --dry-run --journal "$work/journal.jsonl" --log-level warn
echo "agentmcp at $URL; conformance suite $("$node" node_modules/@modelcontextprotocol/conformance/dist/index.js --version) on Node $("$node" --version)"

args=(server --url "$URL" --expected-failures scripts/conformance-baseline.yml -o "$work/results")
if (($# > 0)); then
  args+=("$@")
else
  args+=(--suite all)
fi
# The suite's "N passed, N failed" tallies count expected failures too; they
# are reworded so that log readers looking for a test runner's closing line
# do not take them for this script's verdict, which is its exit status.
"$node" node_modules/@modelcontextprotocol/conformance/dist/index.js "${args[@]}" 2>&1 |
  sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 checks ok, \2 checks not ok/'
