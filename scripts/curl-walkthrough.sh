#!/usr/bin/env bash
# The README's curl walk-through of the streamable HTTP transport, run and
# checked: initialize, notifications/initialized, tools/list, tools/call with
# dry_run, the 401 without a token, and closing the session. The server runs
# on a free 127.0.0.1 port with a fresh bearer token and is stopped on exit.
# Then every listed tool is previewed with its examples/arguments file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

fail() {
  echo "FAIL: $*" >&2
  echo "--- server log" >&2
  cat "$work/server.log" "$work/server.stderr" >&2 2>/dev/null || true
  exit 1
}
expect() { # expect WHAT TEXT PATTERN: TEXT contains the fixed string PATTERN
  grep -qF -- "$3" <<<"$2" || fail "$1: no $3 in: ${2:0:600}"
}
step() { echo; echo "== $*"; }

build_server

# --- README: start the server ----------------------------------------------
TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export AGENTMCP_HTTP_TOKEN=$TOKEN
# README: agentmcp --transport http --addr 127.0.0.1:8080 --journal off &
#         URL=http://127.0.0.1:8080/mcp
# (here on a free port, found from the startup log line)
start_http_server --journal off
echo "server at $URL"

# --- README: the mcp helper -------------------------------------------------
HDRS=$(mktemp)
SID=
# mcp JSON: POST one JSON-RPC message; print the JSON reply whether the server
# answers application/json or text/event-stream (its "data:" lines). curl
# leaves out the session header while $SID is empty.
mcp() {
  curl -sS -D "$HDRS" "$URL" \
    -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' \
    -H 'MCP-Protocol-Version: 2025-11-25' \
    -H "Mcp-Session-Id: $SID" \
    -d "$1" | sed -n -e 's/^data: *//p;t' -e '/^{/p'
}
status() { head -n 1 "$HDRS" | cut -d' ' -f2; }
trap 'rm -f "$HDRS"; cleanup' EXIT

# --- README: 1. initialize ---------------------------------------------------
step "initialize"
out=$(mcp '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}')
echo "$out"
SID=$(grep -i '^mcp-session-id:' "$HDRS" | cut -d' ' -f2 | tr -d '\r')
[[ "$(status)" == 200 ]] || fail "initialize: HTTP $(status)"
expect initialize "$out" '"protocolVersion":"2025-11-25"'
expect initialize "$out" '"name":"agentmcp"'
expect initialize "$out" '"tools":{'
[[ -n "$SID" ]] || fail "initialize: no Mcp-Session-Id header"
echo "session $SID"

# --- README: 2. notifications/initialized -------------------------------------
step "notifications/initialized"
out=$(mcp '{"jsonrpc":"2.0","method":"notifications/initialized"}')
[[ "$(status)" == 202 ]] || fail "notifications/initialized: HTTP $(status), want 202 Accepted"
[[ -z "$out" ]] || fail "notifications/initialized: unexpected body $out"
echo "HTTP 202"

# --- README: 3. tools/list ----------------------------------------------------
step "tools/list"
out=$(mcp '{"jsonrpc":"2.0","id":2,"method":"tools/list"}')
tools=$(grep -o '"name":"create_agent_[a-z0-9_]*"' <<<"$out" | cut -d'"' -f4 | sort -u)
echo "$tools"
[[ -n "$tools" ]] || fail "tools/list: no create_agent_ tool in: ${out:0:600}"
expect tools/list "$out" '"inputSchema":{'

# --- README: 4. tools/call with dry_run ----------------------------------------
step "tools/call create_agent_datagrid, dry run"
out=$(mcp '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"create_agent_datagrid","arguments":{"name":"Pipeline Analyst","system_prompt":"You answer questions about the sales pipeline.","dry_run":true}}}')
echo "$out"
expect "tools/call" "$out" '"dry_run":true'
expect "tools/call" "$out" '"url":"https://api.datagrid.com/v1/agents"'
# The preview names the missing key instead of showing one.
# shellcheck disable=SC2016
expect "tools/call" "$out" '"Authorization":"Bearer ${DATAGRID_API_KEY}"'
if grep -qF '"isError":true' <<<"$out"; then fail "tools/call: isError"; fi

# --- README: 5. without the token: 401 ----------------------------------------
step "no token"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$URL" -H 'Content-Type: application/json' \
  -d '{"jsonrpc":"2.0","id":4,"method":"tools/list"}')
[[ "$code" == 401 ]] || fail "without Authorization: HTTP $code, want 401"
echo "HTTP 401"

# --- README: 6. close the session ---------------------------------------------
step "close the session"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$URL" \
  -H "Authorization: Bearer $TOKEN" -H "Mcp-Session-Id: $SID")
[[ "$code" == 200 || "$code" == 204 ]] || fail "DELETE session: HTTP $code"
echo "HTTP $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$URL" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' -H "Authorization: Bearer $TOKEN" -H "Mcp-Session-Id: $SID" \
  -d '{"jsonrpc":"2.0","id":5,"method":"ping"}')
[[ "$code" == 404 ]] || fail "a request in the closed session: HTTP $code, want 404"
echo "then HTTP $code for the closed session"

# --- beyond the README: preview every listed tool with its arguments file ------
step "every tool, dry run with examples/arguments"
SID=
out=$(mcp '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}')
SID=$(grep -i '^mcp-session-id:' "$HDRS" | cut -d' ' -f2 | tr -d '\r')
mcp '{"jsonrpc":"2.0","method":"notifications/initialized"}' >/dev/null
id=10
for tool in $tools; do
  file="examples/arguments/${tool#create_agent_}.json"
  [[ -f "$file" ]] || fail "$tool: no $file"
  args=$(<"$file")
  args="{\"dry_run\":true,${args#*\{}" # the file's object, with dry_run added
  id=$((id + 1))
  out=$(mcp "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"tools/call\",\"params\":{\"name\":\"$tool\",\"arguments\":$args}}")
  if grep -qF '"isError":true' <<<"$out"; then fail "$tool: isError: ${out:0:600}"; fi
  expect "$tool" "$out" '"dry_run":true'
  echo "ok   $tool"
done

echo
echo "curl walk-through passed"
