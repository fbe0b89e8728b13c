#!/usr/bin/env bash
# The language bench: Rust, JavaScript and Python skills side by side, and
# code skills against the packaged program (see benches/languages.rs).
#
#   tests/benches/languages.sh
#
# Builds the bench's Python and JavaScript skills and the code skills'
# interpreters with the pinned tool chains (installed once under target/),
# then runs the bench in a release build. Prints figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
export SKILLHOST_TOOLCHAINS="$PWD/target/toolchains"
out="$PWD/target/bench-langs"
mkdir -p "$out"
cargo build -p skillhost
skillhost=target/debug/skillhost
for guest in py-bench js-bench; do
  rm -rf "$out/$guest" && cp -r "tests/lang-guests/$guest" "$out/$guest"
  "$skillhost" build "$out/$guest" -o "$out/$guest.skill.wasm" --data-dir "$out/data"
done
"$skillhost" interpreters install --dir "$out/interpreters" --data-dir "$out/data"
SKILLHOST_BENCH_LANGS="$out" cargo bench -p skillhost-tests --bench languages
