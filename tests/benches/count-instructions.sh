#!/usr/bin/env bash
# Instructions per request of one HTTP bench target, counted by callgrind.
#
#   tests/benches/count-instructions.sh [invoke|mcp|skillserver|health|bare]
#
# invoke is the REST invoke of text-tools' `slugify` (the default), mcp an
# MCP `tools/call` of the same ability on the agent's MCP endpoint,
# skillserver the skill server's call of a skillset ability backed by the
# same component; health is the server's `/healthz` (its middleware alone)
# and bare an axum handler returning a constant. All run on SQLite.
#
# Wall-clock figures on a shared 2-core VM move by up to 30 % between runs;
# instruction counts move by well under 1 %, so this is how a change to the
# request path is compared with the code before it. The bench binary runs
# the target twice under callgrind, with LOW and HIGH requests after the
# same warm-up; instrumentation is switched on only for the measured
# requests, and the difference of the two totals divided by HIGH - LOW is
# the cost of one request (start-up and warm-up cancel out). The load
# generator runs in the same process, so its share is in the figure too:
# compare targets and builds with each other, not with other tools.
#
# KEEP=dir copies the profile of the larger run there (callgrind.TARGET),
# for callgrind_annotate. To compare two commits, build each one's bench (`cargo bench -p
# skillhost-tests --bench http --no-run` in a worktree) and pass its binary
# as BIN=path.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:-invoke}
case $target in
  invoke | mcp | skillserver | health | bare) ;;
  *)
    echo "usage: $0 [invoke|mcp|skillserver|health|bare]" >&2
    exit 2
    ;;
esac
low=${LOW:-1600}
high=${HIGH:-4800}
command -v valgrind >/dev/null && command -v callgrind_control >/dev/null || {
  echo "needs valgrind (with callgrind_control): apt-get install valgrind" >&2
  exit 1
}
bin=${BIN:-}
if [ -z "$bin" ]; then
  bin=$(cargo bench -p skillhost-tests --bench http --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*\))$/\1/p' | tail -1)
  [ -x "$bin" ] || { echo "could not build the http bench" >&2; exit 1; }
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Total instructions of `$1` measured requests.
count() {
  local n=$1 pid
  # A small instance pool: valgrind's address space cannot hold the
  # default pool's reservations.
  SKILLHOST_BENCH_PROFILE=$target SKILLHOST_BENCH_REQUESTS=$n \
    SKILLHOST_BENCH_WARMUP=50 SKILLHOST_BENCH_POOL=4 SKILLHOST_BENCH_WAIT="$work/go-$n" \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/out-$n" \
    "$bin" --bench >"$work/log-$n" 2>&1 &
  pid=$!
  until grep -qs "ready" "$work/log-$n"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/log-$n" >&2; exit 1; }
    sleep 1
  done
  callgrind_control -i on "$pid" >/dev/null 2>&1
  touch "$work/go-$n"
  wait "$pid" || { cat "$work/log-$n" >&2; exit 1; }
  grep "^profile" "$work/log-$n" | tail -1 >&2
  sed -n 's/^totals: \([0-9]*\).*/\1/p' "$work/out-$n"
}

low_total=$(count "$low")
high_total=$(count "$high")
# KEEP=dir keeps the larger run's profile, for callgrind_annotate.
if [ -n "${KEEP:-}" ]; then
  mkdir -p "$KEEP" && cp "$work/out-$high" "$KEEP/callgrind.$target"
fi
echo "$target: $(( (high_total - low_total) / (high - low) )) instructions per request" \
  "($low_total at $low, $high_total at $high requests)"
