#!/usr/bin/env bash
# Builds the cargo-fuzz targets (fuzz/) and runs each for SECONDS (default
# 60), seeded by tests/fuzz/seed.sh. Prints per target the executions,
# exec/s and findings (crash-/timeout-/oom-/slow- files under
# fuzz/artifacts/<target>/); exits non-zero when there is any finding.
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
# Needs nightly and cargo-fuzz (`cargo install cargo-fuzz --locked`).
# CARGO_TARGET_DIR defaults to target/fuzz (outside the fuzz crate, whose
# build differs from the workspace's: sanitizer coverage, nightly).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
seconds="${1:-60}"
shift || true
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/fuzz}"
# Rust code: no sanitizer; debug assertions on (overflow checks included).
flags=(-O --sanitizer none --debug-assertions)
max_len="${FUZZ_MAX_LEN:-65536}"
jobs_nice="${FUZZ_NICE:-5}"
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi

tests/fuzz/seed.sh > /dev/null
logs="$root/fuzz/artifacts/logs"
mkdir -p "$logs"
build() {
    (cd fuzz && nice -n "$jobs_nice" cargo +nightly fuzz build "${flags[@]}" "$@") >> "$logs/build.log" 2>&1 \
        || { tail -30 "$logs/build.log" >&2; return 1; }
}
: > "$logs/build.log"
if [ "$#" -eq 0 ]; then
    build || { echo "build failed" >&2; exit 2; }
else
    for t in "${targets[@]}"; do build "$t" || { echo "build of $t failed" >&2; exit 2; }; done
fi

total=0
printf '%-16s %12s %10s %8s  %s\n' target executions exec/s findings files
for t in "${targets[@]}"; do
    mkdir -p "fuzz/artifacts/$t" "fuzz/corpus/$t"
    marker="$logs/.start-$t"
    touch "$marker"
    log="$logs/$t.log"
    # -max_total_time bounds the run; -rss_limit_mb bounds memory (and, by
    # default, any single allocation: -malloc_limit_mb is the same);
    # -timeout marks a hang. libFuzzer stops at its first finding and
    # writes the input to fuzz/artifacts/<target>/.
    set +e
    # Built above: the binary is run as cargo fuzz run would (corpus and
    # artifact folders), without building again.
    (cd fuzz && nice -n "$jobs_nice" "$CARGO_TARGET_DIR/$triple/release/$t" "corpus/$t" \
        -artifact_prefix="artifacts/$t/" \
        -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -close_fd_mask=3) > "$log" 2>&1
    set -e
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    if [ -z "$execs" ]; then
        # Stopped by a finding before the final stats: the last status line.
        execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
        rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    fi
    # Only what this run found: artifacts of earlier runs are left alone.
    found=$(cd "fuzz/artifacts/$t" && find . -maxdepth 1 -newer "$marker" -type f \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' -o -name 'leak-*' \) \
        -printf '%f\n' | sort)
    n=$(printf '%s' "$found" | grep -c . || true)
    total=$((total + n))
    printf '%-16s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$n" "$(echo $found)"
done
echo "logs: $logs"
if [ "$total" -gt 0 ]; then
    echo "$total finding(s): reproduce with: cd fuzz && cargo +nightly fuzz run ${flags[*]} <target> artifacts/<target>/<file>" >&2
    exit 1
fi
