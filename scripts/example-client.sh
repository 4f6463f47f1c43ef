#!/usr/bin/env bash
# Smoke test: build agentmcp, then run examples/client against it over stdio
# in both protocol eras. The client lists the tools and previews each one
# (dry_run) with examples/arguments/<provider>.json; it fails on any isError
# or missing arguments file. No vendor credentials are needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

build_server
go build -o "$work/client" ./examples/client

echo "== examples/client, newest protocol revision"
"$work/client" -server "$bin"
echo
echo "== examples/client, initialize handshake (2025-11-25)"
"$work/client" -server "$bin" -legacy -quiet
