#!/usr/bin/env bash
# Sustained load against a release build (see benches/soak.rs): on SQLite,
# and on PostgreSQL too when SKILLHOST_TEST_DATABASE_URL names a server
# (`. .ci/postgres; start_throwaway_postgres` starts one).
#
#   tests/benches/soak.sh            # 60 s per backend
#   SKILLHOST_SOAK_SECONDS=300 tests/benches/soak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --profile bench -p skillhost  # shares the bench build's artifacts
SKILLHOST_BIN="$PWD/target/release/skillhost" cargo bench -p skillhost-tests --bench soak
