#!/bin/sh
# Runs every Check suite binary in DIR; prints one line per suite and a total.
set -u
dir=${1:-build/tests}
# The ASan builds: library-internal caches of fontconfig and cairo are not our leaks.
LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp:print_suppressions=0}"
export LSAN_OPTIONS
failed=0
total=0
for t in "$dir"/check_*; do
  [ -x "$t" ] || continue
  total=$((total + 1))
  if out=$("$t" 2>&1); then
    echo "  $(basename "$t"): $(echo "$out" | grep -E '^[0-9]+%' | tail -n 1)"
  else
    echo "$out" | grep -vE '^Running suite' | tail -n 30
    echo "  $(basename "$t"): FAILED"
    failed=$((failed + 1))
  fi
done
echo "unit ($dir): $total suites, $failed failed"
[ "$failed" -eq 0 ]
