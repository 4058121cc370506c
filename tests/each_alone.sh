#!/usr/bin/env bash
# Runs every unit test case of the build on its own (one process per test, with
# --gtest_filter naming it exactly), so a test that passes only after another
# one has run shows up. `make test-alone`; prints the failures and a count.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac

binaries=$(ctest --test-dir "$build" -L unit --show-only=json-v1 |
  python3 -c 'import json,sys; [print(t["command"][0]) for t in json.load(sys.stdin)["tests"]]')
total=0
failed=0
for bin in $binaries; do
  suite=""
  while IFS= read -r line; do
    case "$line" in
      "  "*) name=${line#  }; name=${name%%  #*}
        total=$((total + 1))
        if ! "$bin" --gtest_filter="$suite$name" >/tmp/salesops-alone.$$ 2>&1; then
          failed=$((failed + 1))
          echo "FAILED alone: $(basename "$bin") $suite$name"
          tail -20 /tmp/salesops-alone.$$
        fi ;;
      *) suite=${line%%  #*} ;;
    esac
  done < <("$bin" --gtest_list_tests | grep -v '^Running main')
done
rm -f /tmp/salesops-alone.$$
echo "each-alone: $total unit tests run one per process, $failed failed"
[ "$failed" -eq 0 ]
