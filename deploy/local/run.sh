#!/usr/bin/env bash
# `make run`: starts Redis (6380, AOF on), a single-node KRaft Kafka broker
# (9092/9093) and the SalesOps services built so far, all on loopback, loads
# the demo organisation through the public APIs (idempotent), prints how to
# reach everything, and stays in the foreground with the services' JSON logs
# until Ctrl-C; then stops everything it started, by pid.
#
# Ports and folders can be changed with SALESOPS_REDIS_PORT, SALESOPS_KAFKA_PORT,
# SALESOPS_KAFKA_CONTROLLER_PORT, SALESOPS_ORG_PORT, SALESOPS_CUSTOMERS_PORT,
# SALESOPS_TARGETS_PORT, SALESOPS_WARNING_PORT and SALESOPS_RUN_DIR.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build="${BUILD_DIR:-build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac
local="$root/deploy/local"
run="${SALESOPS_RUN_DIR:-$root/.run}"
redis_port="${SALESOPS_REDIS_PORT:-6380}"
kafka_port="${SALESOPS_KAFKA_PORT:-9092}"
controller_port="${SALESOPS_KAFKA_CONTROLLER_PORT:-9093}"
org_port="${SALESOPS_ORG_PORT:-7101}"
customers_port="${SALESOPS_CUSTOMERS_PORT:-7103}"
targets_port="${SALESOPS_TARGETS_PORT:-7102}"
warning_port="${SALESOPS_WARNING_PORT:-7106}"
mkdir -p "$run"

# A local signing secret, made once and kept in .run/ (git-ignored).
if [ -z "${SALESOPS_JWT_HS256_SECRET:-}" ]; then
  [ -s "$run/jwt-secret" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$run/jwt-secret"
  SALESOPS_JWT_HS256_SECRET=$(cat "$run/jwt-secret")
fi
export SALESOPS_JWT_HS256_SECRET
export SALESOPS_REDIS_ADDR="127.0.0.1:$redis_port"
export SALESOPS_KAFKA_BOOTSTRAP="127.0.0.1:$kafka_port"
export SALESOPS_ORG_ADDR="127.0.0.1:$org_port"
export SALESOPS_CUSTOMERS_ADDR="127.0.0.1:$customers_port"
export SALESOPS_TARGETS_ADDR="127.0.0.1:$targets_port"
export SALESOPS_WARNING_ADDR="127.0.0.1:$warning_port"

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "== stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$local/kafka.sh" stop "$run/kafka" || true
  "$local/redis.sh" stop "$run/redis" || true
  echo "== stopped"
}
trap stop_all INT TERM EXIT

echo "== redis on 127.0.0.1:$redis_port (data: $run/redis)"
"$local/redis.sh" start "$run/redis" "$redis_port"
echo "== kafka on 127.0.0.1:$kafka_port (logs: $run/kafka/logs)"
"$local/kafka.sh" start "$run/kafka" "$kafka_port" "$controller_port"

echo "== org service on $SALESOPS_ORG_ADDR (metrics: http://127.0.0.1:$((org_port + 1000))/metrics)"
"$build/services/org/org_server" &
pids+=($!)

ctl="$build/tools/salesopsctl/salesopsctl"
for _ in $(seq 1 100); do
  "$ctl" org list-units --page_size=1 >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== customers service on $SALESOPS_CUSTOMERS_ADDR (metrics: http://127.0.0.1:$((customers_port + 1000))/metrics)"
"$build/services/customers/customers_server" &
pids+=($!)

echo "== targets service on $SALESOPS_TARGETS_ADDR (metrics: http://127.0.0.1:$((targets_port + 1000))/metrics)"
"$build/services/targets/targets_server" &
pids+=($!)

echo "== warning engine on $SALESOPS_WARNING_ADDR (metrics: http://127.0.0.1:$((warning_port + 1000))/metrics)"
"$build/services/warning/warning_server" &
pids+=($!)

echo "== loading demo data (idempotent)"
"$build/tools/demo/demo_loader"
echo "== loading the demo target plan for this quarter (idempotent)"
"$build/tools/demo/targets_demo_loader"
echo "== loading demo customers and pipeline (idempotent; about 2 minutes the first time)"
"$build/tools/demo/customers_demo_loader"

cat <<INFO

SalesOps is running. Try:
  export SALESOPS_JWT_HS256_SECRET=$SALESOPS_JWT_HS256_SECRET
  $ctl org list-units --page_size=5
  $ctl org list-members --org_unit=orgUnits/team-east-1
  $ctl token --sub=demo-sup-east-1 --role=supervisor --org_unit=team-east-1
  grpcurl -plaintext -H "authorization: Bearer \$($ctl token --role=admin)" \\
    -d '{"page_size": 3, "query": "杭州"}' 127.0.0.1:$customers_port salesops.customers.v1.CustomersService/ListCustomers
  kcat -b 127.0.0.1:$kafka_port -C -t salesops.customers.events.v1 -o -5 -e -f '%k %h\n'
  grpcurl -plaintext -H "authorization: Bearer \$($ctl token --role=admin)" \\
    -d '{"period": "fiscalPeriods/FY$(date +%Y)-Q$(( ($(date +%-m) - 1) / 3 + 1 ))", "level": "ATTAINMENT_LEVEL_TEAM", "order_by": "pace", "page_size": 5}' \\
    127.0.0.1:$targets_port salesops.targets.v1.TargetsService/ListAttainment
  grpcurl -plaintext -H "authorization: Bearer \$($ctl token --sub=demo-sup-east-1 --role=supervisor --org_unit=team-east-1)" \\
    -d '{"page_size": 5, "min_severity": "SEVERITY_WARNING"}' 127.0.0.1:$warning_port salesops.warning.v1.WarningService/ListWarnings
  kcat -b 127.0.0.1:$kafka_port -C -t salesops.warning.events.v1 -o -5 -e -f '%k %h\n'
  kcat -b 127.0.0.1:$kafka_port -C -t salesops.org.events.v1 -o beginning -e -f '%k %h\n'
  curl -s http://127.0.0.1:$((org_port + 1000))/metrics | head
With grpcurl (reflection is on):
  grpcurl -plaintext -H "authorization: Bearer \$($ctl token --role=admin)" 127.0.0.1:$org_port list

Ctrl-C stops everything.
INFO

wait "${pids[@]}"
