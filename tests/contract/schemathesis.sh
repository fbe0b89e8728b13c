#!/usr/bin/env bash
# A longer Schemathesis run than CI's (tests/all/contract.rs), against a
# `skillhost serve` process on SQLite and then on a throwaway PostgreSQL.
#
#   tests/contract/schemathesis.sh                 # 100 examples per operation
#   SKILLHOST_CONTRACT_EXAMPLES=500 tests/contract/schemathesis.sh
#
# Prints Schemathesis' summary per backend; exits non-zero if either found
# a failure. Reports (JUnit, and a pytest file reproducing each failure) go
# to target/contract-report/<backend>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
examples=${SKILLHOST_CONTRACT_EXAMPLES:-100}
venv=target/contract-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/contract/requirements.txt
cargo build -p skillhost
bin="$PWD/target/contract-skillhost"
cp target/debug/skillhost "$bin"
token="sk_contract_operator_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
port=18480
failed=0

run_against() {
  local backend=$1
  shift
  local data
  data=$(mktemp -d /tmp/skillhost-contract.XXXXXX)
  "$bin" serve --listen "127.0.0.1:$port" --data-dir "$data" --admin-token "$token" "$@" \
    >"$data/server.log" 2>&1 &
  local server=$!
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
  done
  echo "== $backend: $examples examples per operation =="
  if ! NO_COLOR=1 "$venv/bin/schemathesis" --config-file tests/contract/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
    --header "Authorization: Bearer $token" --checks all --exclude-checks ensure_resource_availability --max-examples "$examples" \
    --report junit,pytest --report-dir "target/contract-report/$backend"; then
    failed=1
    echo "server log: $data/server.log"
  fi
  kill "$server"
  wait "$server" || true
}

run_against sqlite
if [ -z "${SKILLHOST_TEST_DATABASE_URL:-}" ]; then
  . .ci/postgres
  start_throwaway_postgres
fi
# A database of its own on that server, dropped with the cluster.
db="contract_$(date +%s)"
psql "$SKILLHOST_TEST_DATABASE_URL" -qc "CREATE DATABASE $db"
url=${SKILLHOST_TEST_DATABASE_URL/\/postgres\?//$db?}
run_against postgresql --database-url "$url"
exit $failed
