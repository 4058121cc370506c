#!/usr/bin/env bash
# `make test`: starts a Redis and a single-node Kafka broker on free loopback
# ports in a temporary folder, runs ctest (unit tests in parallel, then the
# integration tests one at a time, since they share the broker), and stops the
# servers by pid whatever happens. Exits non-zero on any failure.
# As in `make run`, Redis and Kafka take only their ACL users (passwords in
# their folders) and the services serve mTLS with the certificates of
# deploy/local/tls.sh (.cache/tls); the harness finds them through SALESOPS_TEST_*.
# `tests/run_tests.sh chaos` runs the chaos label instead (make chaos), against a
# 3-node Kafka cluster (replication factor 3, min.insync.replicas 2) as in production;
# `tests/run_tests.sh integration` only the integration tests. TEST_FILTER (a
# ctest -R regex) narrows either, for a developer re-running one suite.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${BUILD_DIR:-build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
local="$root/deploy/local"

run=$(mktemp -d /tmp/salesops-test.XXXXXX)
cleanup() {
  [ -n "${fuzz_build_pid:-}" ] && kill "$fuzz_build_pid" 2>/dev/null || true
  "$local/kafka.sh" stop "$run/kafka" >/dev/null 2>&1 || true
  "$local/redis.sh" stop "$run/redis" >/dev/null 2>&1 || true
  if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then echo "test servers' files kept in $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT

redis_port=$("$local/free_port.sh")
kafka_port=$("$local/free_port.sh")
controller_port=$("$local/free_port.sh")
while [ "$kafka_port" = "$redis_port" ]; do kafka_port=$("$local/free_port.sh"); done
while [ "$controller_port" = "$kafka_port" ] || [ "$controller_port" = "$redis_port" ]; do
  controller_port=$("$local/free_port.sh")
done

mode="${1:-test}"
# Every gtest binary runs its tests in a random order (gtest prints "Randomizing
# tests' orders with a seed of N"; GTEST_RANDOM_SEED=N replays it), so no test
# can lean on what another left behind. GTEST_SHUFFLE=0 turns it off.
export GTEST_SHUFFLE="${GTEST_SHUFFLE:-1}"
start=$(date +%s)
unit_rc=0
fuzz_build_pid=""
if [ "$mode" = test ]; then
  echo "== unit tests"
  ctest --test-dir "$build" -L unit --output-on-failure -j "$(nproc)" || unit_rc=$?
  # The fuzzers' own clang build (ASan + UBSan) runs at the lowest CPU priority while
  # the integration tests, mostly waiting on Redis and Kafka, run; the fuzzers after.
  echo "== building the fuzzers in the background (log: $run/fuzz-build.log)"
  FUZZ_BUILD_ONLY=1 nice -n 19 "$root/tests/fuzz/run_fuzz.sh" >"$run/fuzz-build.log" 2>&1 &
  fuzz_build_pid=$!
fi

tls_dir="$root/.cache/tls"
"$local/tls.sh" "$tls_dir" >/dev/null
"$local/redis.sh" start "$run/redis" "$redis_port" >/dev/null
if [ "$mode" = chaos ]; then
  # Three nodes on six more free ports (the first pair is the one picked above).
  nodes=("$kafka_port:$controller_port")
  used=" $redis_port $kafka_port $controller_port "
  while [ ${#nodes[@]} -lt 3 ]; do
    pair=()
    while [ ${#pair[@]} -lt 2 ]; do
      p=$("$local/free_port.sh")
      case "$used" in *" $p "*) continue ;; esac
      used+="$p "
      pair+=("$p")
    done
    nodes+=("${pair[0]}:${pair[1]}")
  done
  echo "== starting test servers: redis 127.0.0.1:$redis_port, a 3-node kafka cluster (${nodes[*]}; ACLs on)"
  "$local/kafka.sh" start-cluster "$run/kafka" "${nodes[@]}" >/dev/null
  export SALESOPS_TEST_KAFKA_BOOTSTRAP=$("$local/kafka.sh" bootstrap "$run/kafka")
  export SALESOPS_TEST_KAFKA_CLUSTER=1
else
  # A third listener takes client certificates (tls.sh's, CN = the user) instead of SASL.
  mtls_port=$("$local/free_port.sh")
  while [ "$mtls_port" = "$redis_port" ] || [ "$mtls_port" = "$kafka_port" ] ||
        [ "$mtls_port" = "$controller_port" ]; do
    mtls_port=$("$local/free_port.sh")
  done
  echo "== starting test servers: redis 127.0.0.1:$redis_port, kafka 127.0.0.1:$kafka_port (ACLs on; client certificates on $mtls_port)"
  "$local/kafka.sh" start "$run/kafka" "$kafka_port" "$controller_port" "$mtls_port" "$tls_dir" >/dev/null
  export SALESOPS_TEST_KAFKA_BOOTSTRAP="127.0.0.1:$kafka_port"
  export SALESOPS_TEST_KAFKA_MTLS_BOOTSTRAP="127.0.0.1:$mtls_port"
fi

export SALESOPS_TEST_REDIS_ADDR="127.0.0.1:$redis_port"
export SALESOPS_TEST_KAFKA_DIR="$run/kafka"
export SALESOPS_TEST_KAFKA_PORTS="$kafka_port:$controller_port"
export SALESOPS_TEST_REDIS_DIR="$run/redis"
export SALESOPS_TEST_TLS_DIR="$tls_dir"
export SALESOPS_TEST_TMP="$run"

integration_rc=0
if [ "$mode" = chaos ]; then
  echo "== chaos (kill -9 under load; real Redis and Kafka)"
  ctest --test-dir "$build" -L chaos -V -j 1 || integration_rc=$?
else
  echo "== integration tests (real Redis and Kafka)"
  ctest --test-dir "$build" -L integration ${TEST_FILTER:+-R "$TEST_FILTER"} ${CTEST_EXTRA:-} --output-on-failure \
    -j 1 || integration_rc=$?
fi
if [ -n "$fuzz_build_pid" ]; then
  wait "$fuzz_build_pid" || { echo "fuzz build failed:"; tail -40 "$run/fuzz-build.log"; }
  echo "== fuzzing (short run; \`make fuzz\` runs longer)"
  "$root/tests/fuzz/run_fuzz.sh" "${FUZZ_SECONDS:-10}" || unit_rc=$?
fi
echo "== tests took $(( $(date +%s) - start )) s"
if [ "$unit_rc" -ne 0 ] || [ "$integration_rc" -ne 0 ]; then
  echo "FAILED: unit rc=$unit_rc, integration rc=$integration_rc" >&2
  exit 1
fi
