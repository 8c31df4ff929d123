#!/bin/sh
# Runs the libFuzzer harnesses that `make fuzz` built (see fuzz/ and the Makefile's fuzzing
# section); prints the executions of each target and a total; exits non-zero on any crash,
# sanitizer report, leak or timeout.
#
#   tests/run-fuzz.sh fuzz    BUILD_DIR SECONDS TARGET...   fuzz each target for SECONDS
#   tests/run-fuzz.sh regress BUILD_DIR TARGET...           run each once over its seeds and
#                                                           regression inputs, no fuzzing
#
# Fuzzing reads fuzz/corpus/<target>/ and fuzz/regressions/<target>/ but writes new inputs only
# to BUILD_DIR/corpus/<target>/ and crashes to BUILD_DIR/artifacts/<target>/: nothing is
# merged into the repository. A crash input belongs in fuzz/regressions/<target>/ once fixed.
set -u
mode=${1:?usage: run-fuzz.sh fuzz|regress BUILD_DIR [SECONDS] TARGET...}
build=${2:?build directory}
shift 2
seconds=0
if [ "$mode" = fuzz ]; then
  seconds=${1:?seconds per target}
  shift
fi
[ "$#" -gt 0 ] || { echo "run-fuzz: no targets" >&2; exit 2; }

# Reports from the sanitizers stop the run and carry a stack; leaks count as failures.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

total=0
failed=""
mkdir -p "$build/logs"
for t in "$@"; do
  bin="$build/fuzz_$t"
  log="$build/logs/$t.log"
  [ -x "$bin" ] || { echo "run-fuzz: $bin not built" >&2; exit 2; }
  dirs=""
  for d in "fuzz/corpus/$t" "fuzz/regressions/$t"; do
    [ -d "$d" ] && dirs="$dirs $d"
  done
  dict=""
  case $t in
    readings | station) dict=fuzz/dict/json.dict ;;
    time) dict=fuzz/dict/time.dict ;;
    query) dict=fuzz/dict/query.dict ;;
    config) dict=fuzz/dict/config.dict ;;
  esac
  if [ "$mode" = fuzz ]; then
    mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
    # The first directory is the one libFuzzer writes to: the scratch corpus in BUILD_DIR.
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$build/artifacts/$t/" ${dict:+-dict=$dict} \
      "$build/corpus/$t" $dirs >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  else
    # Named files run once each: no mutation, no corpus written.
    # shellcheck disable=SC2086
    files=$(find $dirs -type f 2>/dev/null | sort)
    if [ -z "$files" ]; then
      rc=0
      runs=0
      : >"$log"
    else
      # shellcheck disable=SC2086
      "$bin" $files >"$log" 2>&1
      rc=$?
      runs=$(grep -c '^Executed ' "$log")
    fi
  fi
  runs=${runs:-0}
  total=$((total + runs))
  if [ "$rc" -eq 0 ]; then
    printf '  %-10s %12s executions\n' "$t" "$runs"
  else
    printf '  %-10s %12s executions  FAILED (exit %s, log %s)\n' "$t" "$runs" "$rc" "$log"
    grep -E 'ERROR:|runtime error|invariant broken|SUMMARY|Test unit written|^Running:' "$log" | tail -n 12 |
      sed 's/^/      /'
    failed="$failed $t"
  fi
done
printf '  %-10s %12s executions (%s)\n' total "$total" "$mode"
if [ -n "$failed" ]; then
  echo "run-fuzz: failed:$failed — keep each crash input under fuzz/regressions/<target>/" >&2
  exit 1
fi
