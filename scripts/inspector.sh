#!/usr/bin/env bash
# Lists agentmcp's tools over stdio with the MCP Inspector CLI in --strict
# mode (pinned in package.json), which fails on tool schemas that clients
# and model APIs reject. Needs `npm ci` first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

need_npm_tools
find_node22
build_server

# The inspector keeps state in ~/.mcp-inspector: point HOME at a temporary folder.
mkdir -p "$work/home"
HOME="$work/home" "$node" node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js \
  --cli --method tools/list --strict --format json \
  -- "$bin" --transport stdio --journal off --log-level warn >"$work/tools.json"

tools=$(grep -o '"name": *"create_agent_[a-z0-9_]*"' "$work/tools.json" | cut -d'"' -f4 | sort -u | tr '\n' ' ')
[[ -n "$tools" ]] || { echo "inspector listed no create_agent_ tool:" >&2; head -c 2000 "$work/tools.json" >&2; exit 1; }
echo "inspector --strict: tools/list passed for $tools($(wc -c <"$work/tools.json") bytes)"
