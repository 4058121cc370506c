#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in their own build folder
# and runs each for SECONDS (default 10; `make fuzz` uses 300). Exits non-zero on
# any crash, leak, sanitizer report or build failure; the reproducer is left in
# build-fuzz/. FUZZ_CMAKE_ARGS (optional) is passed to the configure step, e.g.
# FUZZ_CMAKE_ARGS='-DSALESOPS_SKIP_DIRS=forecast;performance' for a local run
# while a service is under construction in a shared checkout.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds="${1:-10}"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
targets=(org_request_fuzzer auth_event_fuzzer csv_import_fuzzer customers_request_fuzzer
         targets_allocation_fuzzer warning_rules_fuzzer)
extra=()
if [ -n "${FUZZ_CMAKE_ARGS:-}" ]; then read -r -a extra <<<"$FUZZ_CMAKE_ARGS"; fi
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DSALESOPS_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" "${extra[@]}" >/dev/null
# UBSan reports are findings too: stop at the first one (the default only prints).
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# Short runs (make test) use the classic scheduler: with these binaries' many
# coverage features, libFuzzer 14's entropic bookkeeping costs up to 10x the
# executions in the first seconds. Long runs keep entropic.
schedule=()
if [ "$seconds" -lt 60 ]; then schedule=(-entropic=0); fi
rc=0
# FUZZ_BUILD_ONLY=1: build the targets and stop (make test builds them while the
# integration tests run, then runs them).
if [ "${FUZZ_BUILD_ONLY:-0}" = 1 ]; then
  for t in "${targets[@]}"; do
    cmake --build "$build" --target "$t" >/dev/null || { rc=1; echo "FUZZ BUILD FAILURE in $t"; }
  done
  exit $rc
fi
for t in "${targets[@]}"; do
  # One target at a time, so a target that does not build fails alone.
  if ! cmake --build "$build" --target "$t"; then
    rc=1; echo "FUZZ BUILD FAILURE in $t"; continue
  fi
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  echo "== fuzzing $t for ${seconds}s"
  (cd "$build" && "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 "${schedule[@]}" "$corpus" \
     "$root/tests/fuzz/corpus/$t" 2>"$build/$t.log") ||
    { rc=1; echo "FUZZ FAILURE in $t:"; tail -40 "$build/$t.log"; }
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$build/$t.log" | tr '\n' ' '
  echo
done
exit $rc
