#!/bin/sh
# make test: unit suites (plain and ASan/UBSan builds) and integration suites against a
# throw-away PostgreSQL cluster that this script starts and removes.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export AQ_PG_STATE="$ROOT/var/test-pg"
start=$(date +%s)
status=0

cleanup() { sh deploy/pg-local.sh destroy >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

echo "== unit tests"
sh tests/run-unit.sh build/tests || status=1
sh tests/run-unit.sh build-asan/tests || status=1

echo "== integration tests"
sh deploy/pg-local.sh destroy >/dev/null 2>&1 || true
sh deploy/pg-local.sh start || exit 1
AQ_TEST_PG_URL=$(sh deploy/pg-local.sh url)
export AQ_TEST_PG_URL AQ_PG_STATE

for bin in build/aqrankd build-asan/aqrankd; do
  echo "-- integration against $bin"
  AQ_BIN="$ROOT/$bin" python3 -m unittest discover -s tests/integration -p 'test_*.py' ${AQ_TEST_ARGS:-} || status=1
done
export AQ_BIN="$ROOT/build/aqrankd"

echo "== fault scripts (acknowledged = stored)"
python3 tests/fault/faults.py all || status=1

echo "== fuzzing (bounded: FUZZ_SECONDS=${FUZZ_SECONDS:-10} per target)"
make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-10}" || status=1

echo "== make test finished in $(( $(date +%s) - start )) s: $([ $status -eq 0 ] && echo PASS || echo FAIL)"
exit $status
