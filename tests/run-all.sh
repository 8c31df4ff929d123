#!/bin/sh
# make test: unit suites (plain, ASan/UBSan, valgrind memcheck), integration suites against a
# throw-away PostgreSQL cluster that this script starts and removes (ASan/UBSan build, then
# a subset against the plain build under valgrind memcheck), the fault scripts and bounded fuzzing.
# AQ_QUICK=1 skips valgrind and fuzzing (a faster local loop).
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export AQ_PG_STATE="$ROOT/var/test-pg"
start=$(date +%s)
status=0

cleanup() { sh deploy/pg-local.sh destroy >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

# The cluster first: the day service's Check suite (check_day) runs against it too.
sh deploy/pg-local.sh destroy >/dev/null 2>&1 || true
sh deploy/pg-local.sh start || exit 1
AQ_TEST_PG_URL=$(sh deploy/pg-local.sh url)
export AQ_TEST_PG_URL AQ_PG_STATE

echo "== unit tests"
sh tests/run-unit.sh build/tests || status=1
sh tests/run-unit.sh build-asan/tests || status=1
if [ -z "${AQ_QUICK:-}" ]; then
  echo "-- unit tests under valgrind memcheck"
  for t in build/tests/check_*; do
    if ! CK_FORK=no valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
        --suppressions=tests/valgrind.supp \
        --error-exitcode=33 "$t" >/dev/null 2>build/valgrind-unit.log; then
      echo "  $(basename "$t"): valgrind FAILED"; cat build/valgrind-unit.log; status=1
    fi
  done
  echo "unit (valgrind): done"
fi

echo "== the independent reference's own checks (tests/reference)"
python3 -m unittest discover -s tests/reference || status=1

echo "== integration tests"

echo "-- integration against build-asan/aqrankd (AddressSanitizer + UBSan)"
AQ_BIN="$ROOT/build-asan/aqrankd" python3 -m unittest discover -s tests/integration -p 'test_*.py' \
  ${AQ_TEST_ARGS:-} || status=1
if [ -z "${AQ_QUICK:-}" ]; then
  # Under valgrind, the suites that walk the C code's paths (ingest, ranking, bulletin, QC,
  # HJ 212, sources, errors and limits); the rest (periods' long histories, the Beijing replay,
  # nginx, the replica, the dashboard's browser) run under ASan/UBSan only, so that make test
  # stays within CI's 30 minutes. AQ_VALGRIND_ALL=1 runs every suite under valgrind too.
  if [ -n "${AQ_VALGRIND_ALL:-}" ]; then
    valgrind_suites=$(cd tests/integration && ls test_*.py | sed 's/\.py$//')
  else
    valgrind_suites=${AQ_VALGRIND_SUITES:-"test_contract test_foundation test_ranking test_bulletins test_quality
      test_hj212 test_hostile test_security test_metrics test_openapi"}
  fi
  echo "-- integration against build/aqrankd under valgrind memcheck:" $valgrind_suites
  (cd tests/integration && AQ_VALGRIND=1 AQ_BIN="$ROOT/build/aqrankd" python3 -m unittest \
    $valgrind_suites ${AQ_TEST_ARGS:-}) || status=1
else
  echo "-- integration against build/aqrankd"
  AQ_BIN="$ROOT/build/aqrankd" python3 -m unittest discover -s tests/integration -p 'test_*.py' \
    ${AQ_TEST_ARGS:-} || status=1
fi
export AQ_BIN="$ROOT/build/aqrankd"

echo "== fault scripts (acknowledged = stored)"
python3 tests/fault/faults.py all || status=1
# The daemon killed while requests wait parked for their group commit (live readings).
AQ_FAULT_LIVE=1 python3 tests/fault/faults.py kill || status=1

if [ -z "${AQ_QUICK:-}" ]; then
  echo "== fuzzing (bounded: FUZZ_SECONDS=${FUZZ_SECONDS:-10} per target)"
  make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-10}" || status=1
fi

echo "== make test finished in $(( $(date +%s) - start )) s: $([ $status -eq 0 ] && echo PASS || echo FAIL)"
exit $status
