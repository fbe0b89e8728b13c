#!/usr/bin/env bash
# The tail under load from another process: wrk (2 threads, 32 connections)
# against a release `skillhost serve` on SQLite, for REST invoke and MCP
# `tools/call` of text-tools' `slugify` (a fresh sandbox per request, the
# same calls as the http bench), and `/healthz` (the middleware alone).
# Prints each one's p50, p99 and p99/p50; the target is p99 within 3x p50
# for the invoke.
#
#   tests/benches/wrk.sh                   # 20 s per target
#   SKILLHOST_WRK_SECONDS=60 tests/benches/wrk.sh
#
# wrk shares the two cores with the server, as the http bench's load
# generator does; compare runs on the same machine, not with other tools.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || {
  echo "needs wrk: apt-get install wrk" >&2
  exit 1
}
seconds=${SKILLHOST_WRK_SECONDS:-20}
port=${SKILLHOST_WRK_PORT:-18480}
token=shk_wrk_bench_operator_token

rustup target add wasm32-wasip2 >/dev/null
cargo build --profile bench -p skillhost # shares the bench build's artifacts
skillhost=$PWD/target/release/skillhost
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill -INT "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/skills"
CARGO_TARGET_DIR="$PWD/target/guests" "$skillhost" build skills/text-tools \
  -o "$work/skills/text-tools.wasm" --data-dir "$work/data" >/dev/null
"$skillhost" serve --listen "127.0.0.1:$port" --data-dir "$work/data" \
  --admin-token "$token" --preload "$work/skills" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do
  grep -q "preloaded skills" "$work/serve.log" && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
grep -q "preloaded skills" "$work/serve.log" || { echo "the server did not start" >&2; exit 1; }
base=http://127.0.0.1:$port

# A POST of `$2` to every request, as wrk's script.
post_script() {
  local body=${2//\\/\\\\}
  body=${body//\"/\\\"}
  cat >"$1" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
LUA
}
post_script "$work/invoke.lua" '{"ability":"slugify","args":{"text":"Hello, World"}}'
post_script "$work/mcp.lua" '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"text-tools__slugify","arguments":{"text":"Hello, World"}}}'

# One call of each first, checked: a refused request would be measured too.
check() {
  local status
  status=$(curl -s -o "$work/answer" -w '%{http_code}' -X POST "$base$1" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' -d "$2")
  [ "$status" = 200 ] && ! grep -q '"isError":true' "$work/answer" || {
    echo "$1 answered $status: $(cat "$work/answer")" >&2
    exit 1
  }
}
check /api/agents/demo/skills/text-tools/invoke '{"ability":"slugify","args":{"text":"warm"}}'
check /mcp/agents/demo '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"text-tools__slugify","arguments":{"text":"warm"}}}'

# wrk's latency line in milliseconds (its units vary: us, ms, s).
ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000
    printf "%.2f", n }'
}
run() {
  local name=$1 path=$2 script=${3:-} out p50 p99 rps errors
  out=$(wrk -t2 -c32 -d"${seconds}s" --latency ${script:+-s "$script"} "$base$path")
  p50=$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)
  printf '%-8s %8s req/s  p50 %6s ms  p99 %6s ms  p99/p50 %s\n' "$name" "$rps" "$p50" "$p99" \
    "$(awk -v a="$p99" -v b="$p50" 'BEGIN {printf "%.1f", a / b}')"
  [ -z "$errors" ] || echo "         $errors"
}
echo "wrk -t2 -c32, ${seconds} s each, release build, SQLite:"
run healthz /healthz
run invoke /api/agents/demo/skills/text-tools/invoke "$work/invoke.lua"
run mcp /mcp/agents/demo "$work/mcp.lua"
