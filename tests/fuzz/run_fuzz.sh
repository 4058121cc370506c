#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in their own build folder
# and runs each for SECONDS (default 10; `make fuzz` uses 300). Exits non-zero on
# any crash, leak or sanitizer report; the reproducer is left in build-fuzz/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds="${1:-10}"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DSALESOPS_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target org_request_fuzzer auth_event_fuzzer
rc=0
for t in org_request_fuzzer auth_event_fuzzer; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  echo "== fuzzing $t for ${seconds}s"
  (cd "$build" && "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 "$corpus" "$root/tests/fuzz/corpus/$t" \
     2>"$build/$t.log") || { rc=1; echo "FUZZ FAILURE in $t:"; tail -40 "$build/$t.log"; }
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$build/$t.log" | tr '\n' ' '
  echo
done
exit $rc
