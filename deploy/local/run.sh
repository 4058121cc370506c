#!/usr/bin/env bash
# `make run`: starts Redis (6380, AOF on), a single-node KRaft Kafka broker
# (9092/9093) and the SalesOps services built so far, all on loopback, loads
# the demo organisation through the public APIs (idempotent), prints how to
# reach everything, and stays in the foreground with the services' JSON logs
# until Ctrl-C; then stops everything it started, by pid.
#
# Nothing is open by address: the services serve gRPC over mTLS (certificates of
# deploy/local/tls.sh in .cache/tls), Redis takes only its ACL users and Kafka only
# its SASL users; each service runs as its own Redis and Kafka user (passwords in
# .run/redis/users and .run/kafka/users), the tools use the tools' client certificate.
#
# Ports and folders can be changed with SALESOPS_REDIS_PORT, SALESOPS_KAFKA_PORT,
# SALESOPS_KAFKA_CONTROLLER_PORT, SALESOPS_ORG_PORT, SALESOPS_TARGETS_PORT,
# SALESOPS_CUSTOMERS_PORT, SALESOPS_PERFORMANCE_PORT, SALESOPS_FORECAST_PORT,
# SALESOPS_WARNING_PORT, SALESOPS_GATEWAY_PORT (each service's metrics: port + 1000)
# and SALESOPS_RUN_DIR. Every port is checked before anything starts: a busy one
# stops the run at once, naming it, what holds it and the variable that moves it.
#
# Re-runs are safe: the loaders keep what is already there (and what a user changed
# since: counted as conflicts, never a failure); a run stopped hard (Ctrl-C at any
# moment, kill -9) leaves services that the next run stops first. Only a service
# that cannot be reached (or dies) fails the run.
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
performance_port="${SALESOPS_PERFORMANCE_PORT:-7104}"
forecast_port="${SALESOPS_FORECAST_PORT:-7105}"
sync_port="${SALESOPS_SYNC_PORT:-7107}"
gateway_port="${SALESOPS_GATEWAY_PORT:-8080}"
tls="$root/.cache/tls"
mkdir -p "$run"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# "pid (command)" of the process listening on 127.0.0.1/0.0.0.0/:: port $1, if /proc shows it.
port_holder() {
  local hex inode fd pid
  hex=$(printf '%04X' "$1")
  inode=$(awk -v p=":$hex" '$2 ~ (p "$") && $4 == "0A" { print $10; exit }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null)
  [ -n "$inode" ] || return 1
  for fd in /proc/[0-9]*/fd/*; do
    if [ "$(readlink "$fd" 2>/dev/null)" = "socket:[$inode]" ]; then
      pid=${fd#/proc/}
      pid=${pid%%/*}
      echo "pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null))"
      return 0
    fi
  done
  return 1
}

# Services left running by an earlier run that was stopped hard: ours (listed in
# $run/services.pids and still running our binaries), so stop them.
if [ -f "$run/services.pids" ]; then
  while read -r pid; do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    case "$exe" in "$build"/*)
      echo "== stopping $(basename "$exe") (pid $pid), left running by an earlier run"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
      ;;
    esac
  done <"$run/services.pids"
  rm -f "$run/services.pids"
fi

# Every port this run needs, before anything starts. Redis and Kafka of an earlier
# run in the same folder are reused by redis.sh / kafka.sh, so their ports are ours.
ours=" $(cat "$run/redis/redis.pid" "$run/kafka/kafka.pid" 2>/dev/null | tr '\n' ' ' || true) "
busy=0
check_port() {  # port variable what
  local holder="" hp=""
  port_open "$1" || return 0
  holder=$(port_holder "$1" || true)
  hp=${holder#pid }
  hp=${hp%% *}
  if [ -n "$hp" ] && [[ "$ours" == *" $hp "* ]]; then return 0; fi
  echo "make run: port $1 on 127.0.0.1 ($3) is in use${holder:+ by $holder}; free it, or move" \
    "this run with $2=<another port>" >&2
  busy=1
}
check_port "$redis_port" SALESOPS_REDIS_PORT "Redis"
check_port "$kafka_port" SALESOPS_KAFKA_PORT "Kafka broker"
check_port "$controller_port" SALESOPS_KAFKA_CONTROLLER_PORT "Kafka controller"
for svc in org targets customers performance forecast warning sync gateway; do
  var="${svc}_port"
  name=$(echo "$svc" | tr a-z A-Z)
  check_port "${!var}" "SALESOPS_${name}_PORT" "$svc service"
  check_port "$(( ${!var} + 1000 ))" "SALESOPS_${name}_PORT" "$svc metrics, its port + 1000"
done
[ "$busy" = 0 ] || exit 1

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
export SALESOPS_PERFORMANCE_ADDR="127.0.0.1:$performance_port"
export SALESOPS_FORECAST_ADDR="127.0.0.1:$forecast_port"
export SALESOPS_SYNC_ADDR="127.0.0.1:$sync_port"
export SALESOPS_GATEWAY_ADDR="127.0.0.1:$gateway_port"
# Servers: TLS with client certificates required (mTLS). Clients (salesopsctl, demo
# loaders): the local CA and the tools' certificate.
export SALESOPS_TLS_CERT_FILE="$tls/server.pem" SALESOPS_TLS_KEY_FILE="$tls/server.key"
export SALESOPS_TLS_CLIENT_CA_FILE="$tls/ca.pem"
export SALESOPS_TLS_CA_FILE="$tls/ca.pem"
export SALESOPS_TLS_CLIENT_CERT_FILE="$tls/client-tools.pem"
export SALESOPS_TLS_CLIENT_KEY_FILE="$tls/client-tools.key"
# PLAIN, not SCRAM: Debian's librdkafka (2.0.2) cannot do SCRAM with Kafka 4 (kafka.sh).
export SALESOPS_KAFKA_SASL_MECHANISM=PLAIN

# A service's own Redis and Kafka users: flags, not env, since they differ per process.
creds() {
  echo "--redis_user=$1" "--redis_password_file=$run/redis/users/$1.password" \
    "--kafka_user=$1" "--kafka_password_file=$run/kafka/users/$1.password"
}

pids=()
names=()
stop_all() {
  trap - INT TERM EXIT
  # Whatever happens to the terminal (`make run | tee run.log`: Ctrl-C ends tee
  # first, and the next echo would die of SIGPIPE), everything gets stopped.
  trap '' PIPE
  set +e
  echo
  echo "== stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$run/services.pids"
  "$local/kafka.sh" stop "$run/kafka" || true
  "$local/redis.sh" stop "$run/redis" || true
  echo "== stopped"
}
# Ctrl-C or a TERM stops everything and ends the script there (not the next
# loader against services that are gone).
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap stop_all EXIT
# A service in the background, its JSON log in $run/logs/NAME.log (on the terminal
# with SALESOPS_RUN_LOGS=terminal); its pid kept for stop_all and for the next run.
logs="$run/logs"
mkdir -p "$logs"
start() {
  local name=$1
  shift
  if [ "${SALESOPS_RUN_LOGS:-file}" = terminal ]; then
    "$@" &
  else
    "$@" >>"$logs/$name.log" 2>&1 &
  fi
  pids+=($!)
  names+=("$name")
  echo "$!" >>"$run/services.pids"
}
# A loader: a user's changes are kept (exit 0); errors it did not expect are reported
# and the run goes on; a service it cannot reach (exit 2) stops the run.
load() {
  local rc=0
  "$@" || rc=$?
  case $rc in
    0) ;;
    2) echo "== $(basename "$1"): a service could not be reached; stopping" >&2; exit 1 ;;
    *) echo "== $(basename "$1") reported errors (above); the suite keeps running" >&2 ;;
  esac
}

echo "== TLS certificates (local CA) in $tls"
"$local/tls.sh" "$tls"
echo "== redis on 127.0.0.1:$redis_port, ACL users only (data: $run/redis)"
"$local/redis.sh" start "$run/redis" "$redis_port"
# A broker folder of an older run has no SASL users: set it aside (events only; Redis
# holds the data) rather than fail.
if [ -f "$run/kafka/server.properties" ] &&
   ! grep -q '^listener.name.broker.sasl.enabled.mechanisms=' "$run/kafka/server.properties"; then
  "$local/kafka.sh" stop "$run/kafka" || true
  aside="$run/kafka.plaintext-$(date +%Y%m%d%H%M%S)"
  mv "$run/kafka" "$aside"
  echo "== kafka: the old broker folder had no SASL users; moved it to $aside"
fi
echo "== kafka on 127.0.0.1:$kafka_port, SASL users and ACLs (logs: $run/kafka/logs)"
"$local/kafka.sh" start "$run/kafka" "$kafka_port" "$controller_port"

echo "== org service on $SALESOPS_ORG_ADDR, mTLS (metrics: http://127.0.0.1:$((org_port + 1000))/metrics)"
start org "$build/services/org/org_server" $(creds org)

ctl="$build/tools/salesopsctl/salesopsctl"
for _ in $(seq 1 100); do
  "$ctl" org list-units --page_size=1 >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== customers service on $SALESOPS_CUSTOMERS_ADDR, mTLS (metrics: http://127.0.0.1:$((customers_port + 1000))/metrics)"
start customers "$build/services/customers/customers_server" $(creds customers)

echo "== targets service on $SALESOPS_TARGETS_ADDR, mTLS (metrics: http://127.0.0.1:$((targets_port + 1000))/metrics)"
start targets "$build/services/targets/targets_server" $(creds targets)

echo "== warning engine on $SALESOPS_WARNING_ADDR, mTLS (metrics: http://127.0.0.1:$((warning_port + 1000))/metrics)"
start warning "$build/services/warning/warning_server" $(creds warning)

echo "== performance service on $SALESOPS_PERFORMANCE_ADDR, mTLS (metrics: http://127.0.0.1:$((performance_port + 1000))/metrics)"
start performance "$build/services/performance/performance_server" $(creds performance)

echo "== forecast service on $SALESOPS_FORECAST_ADDR, mTLS (metrics: http://127.0.0.1:$((forecast_port + 1000))/metrics)"
start forecast "$build/services/forecast/forecast_server" $(creds forecast)

# Group chats, played locally: a receiver on a free loopback port stands in for the
# WeCom, DingTalk and Feishu robots (checking formats and signatures) and prints what
# each group would see; the sync service's routes point at it.
sink_port_file="$run/webhook-sink.port"
rm -f "$sink_port_file"
[ -s "$run/webhook-secret" ] || head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$run/webhook-secret"
webhook_secret=$(cat "$run/webhook-secret")
echo "== group-robot receiver (WeCom, DingTalk, Feishu) on loopback; what the groups see: $logs/webhook-sink.log"
start webhook-sink "$build/services/sync/sync_webhook_sink" --port=0 --port_file="$sink_port_file" \
  --wecom_key=team-east-1 --dingtalk_token=region-east --feishu_hook=team-south-1 \
  --dingtalk_secret="$webhook_secret" --feishu_secret="$webhook_secret"
for _ in $(seq 1 100); do [ -s "$sink_port_file" ] && break; sleep 0.1; done
[ -s "$sink_port_file" ] || { echo "make run: the group-robot receiver did not start (see $logs/webhook-sink.log)" >&2; exit 1; }
sink="http://127.0.0.1:$(cat "$sink_port_file")"
# One route per org unit and event type; URLs and secrets stay in this file (mode 0600).
(umask 077; cat >"$run/routes.json" <<ROUTES
{"routes": [
  {"id": "east-1-wecom", "org_unit": "team-east-1", "platform": "wecom",
   "url": "$sink/wecom/send?key=team-east-1",
   "events": ["warning_raised", "task_force_proposed", "task_force_formed", "feedback_answered",
              "review_due", "lead_handed_over", "lead_contact_overdue", "reception_planned"]},
  {"id": "east-dingtalk", "org_unit": "region-east", "platform": "dingtalk",
   "url": "$sink/dingtalk/robot/send?access_token=region-east", "secret": "$webhook_secret",
   "include_subunits": true,
   "events": ["forecast_gap", "plan_published", "task_force_proposed", "launch_announced",
              "insight_published"]},
  {"id": "south-1-feishu", "org_unit": "team-south-1", "platform": "feishu",
   "url": "$sink/feishu/hook/team-south-1", "secret": "$webhook_secret",
   "events": ["warning_raised", "task_force_proposed", "feedback_answered", "review_due"]}
]}
ROUTES
)
echo "== sync service on $SALESOPS_SYNC_ADDR, mTLS (metrics: http://127.0.0.1:$((sync_port + 1000))/metrics)"
start sync "$build/services/sync/sync_server" $(creds sync) --sync_routes_file="$run/routes.json"

# The gateway: HTTP (Connect) for every RPC and the live stream, for curl and browsers;
# it calls the services over mTLS with the tools' certificate.
echo "== gateway on http://$SALESOPS_GATEWAY_ADDR (metrics: http://127.0.0.1:$((gateway_port + 1000))/metrics)"
start gateway env -u SALESOPS_TLS_CERT_FILE -u SALESOPS_TLS_KEY_FILE -u SALESOPS_TLS_CLIENT_CA_FILE \
  "$build/services/gateway/gateway_server" $(creds gateway) --web_root="$root/web/dist"

echo "== loading demo data (idempotent)"
load "$build/tools/demo/demo_loader"
# A competitor move marketing publishes for the east region: the reviews generated
# below list it, and region-east's DingTalk group hears of it (ALREADY_EXISTS on a re-run).
insight='{"insightId": "demo-competitor-east", "insight": {"kind": "INSIGHT_KIND_COMPETITOR",
  "title": "竞品B 在华东下调报价 15%", "body": "竞品B 针对制造业客户下调云平台报价约 15%，并附送一年运维；报价阶段请提前准备价值对比。",
  "source": "市场部竞品跟踪", "audience": {"orgUnits": ["orgUnits/region-east"]}}}'
for _ in $(seq 1 50); do
  out=$("$ctl" call salesops.sync.v1.SyncService/PublishInsight "$insight" 2>&1) && break
  case "$out" in *ALREADY_EXISTS*|*already\ exists*) break ;; esac
  sleep 0.2
done
echo "== loading the demo target plan for this quarter (idempotent)"
load "$build/tools/demo/targets_demo_loader"
echo "== loading the demo commission plan, KPIs and OKRs (idempotent)"
load "$build/tools/demo/performance_demo_loader"
echo "== loading demo customers and pipeline (idempotent; about 2 minutes the first time)"
load "$build/tools/demo/customers_demo_loader"
echo "== loading the demo script library, training programme and drills (idempotent)"
load "$build/tools/demo/coaching_demo_loader"
# Biweekly reviews: the performance service's scheduler writes every rep's
# review of the last completed two-week cycle by itself; the demo team also
# gets this cycle's so far, with the history the loader just played in.
echo "== this cycle's biweekly reviews for team-east-1"
reviewed=0
for member in $("$ctl" org list-members --org_unit=orgUnits/team-east-1 2>/dev/null |
  grep -o 'members/demo-rep-[A-Za-z0-9-]*' | sort -u); do
  if "$ctl" call salesops.performance.v1.PerformanceService/GenerateReview \
    "{\"member\": \"$member\"}" >/dev/null 2>"$logs/reviews-demo.err"; then
    reviewed=$((reviewed + 1))
  fi
done
echo "   $reviewed reviews (the dashboard's 复盘 page)"

# A sales floor at work (salesops-sim through the public API), so that the
# dashboard, warnings and forecasts move while you watch; SALESOPS_SIM_RATE=0
# keeps the demo still.
sim_rate=${SALESOPS_SIM_RATE:-0.5}
sim_note=""
if [ "$sim_rate" != 0 ]; then
  echo "== salesops-sim: $sim_rate actions a second (deals, stage moves, wins, losses, visits, payments)"
  start sim "$build/tools/sim/salesops-sim" --rate="$sim_rate"
  sim_note="The demo moves: salesops-sim acts $sim_rate times a second (tail -f $logs/sim.log; SALESOPS_SIM_RATE=0 for a still demo)."
fi

for i in "${!pids[@]}"; do
  if ! kill -0 "${pids[$i]}" 2>/dev/null; then
    echo "== the ${names[$i]} service (pid ${pids[$i]}) has stopped; the end of its log:" >&2
    tail -n 20 "$logs/${names[$i]}.log" >&2 2>/dev/null || true
    exit 1
  fi
done

# A sign-in link for a demo supervisor (王娟 of team-east-1): the dashboard keeps
# the token for the tab only; it lasts 8 h (the services' limit).
sign_in=""
if [ -f "$root/web/dist/index.html" ]; then
  sup_token=$("$ctl" token --sub=demo-sup-east-1 --role=supervisor --org_unit=team-east-1 --ttl=8h)
  sign_in="http://$SALESOPS_GATEWAY_ADDR/#/signin?token=$sup_token"
fi

cat <<INFO

SalesOps is running (gRPC over mTLS; Redis and Kafka by ACL user).
Service logs (JSON lines): $logs/<service>.log, e.g. tail -f $logs/warning.log
${sim_note}
${sign_in:+
Dashboard (open on a phone-sized window; Chinese first, English in the header),
signed in as the demo supervisor of team-east-1 for 8 h:
  $sign_in
}
Try (curl and the tools make setup installed):
  export SALESOPS_JWT_HS256_SECRET=$SALESOPS_JWT_HS256_SECRET
  export SALESOPS_TLS_CA_FILE=$tls/ca.pem
  export SALESOPS_TLS_CLIENT_CERT_FILE=$tls/client-tools.pem SALESOPS_TLS_CLIENT_KEY_FILE=$tls/client-tools.key
  $ctl org list-members --org_unit=orgUnits/team-east-1
  $ctl forecast list --period=fiscalPeriods/FY$(date +%Y)-Q$(( ($(date +%-m) - 1) / 3 + 1 )) --category=PIPELINE --order_by="gap_to_target desc" --page_size=5
  TOKEN=\$($ctl token --sub=demo-sup-east-1 --role=supervisor --org_unit=team-east-1)
  curl -s -H "authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
    -d '{"page_size": 3, "min_severity": "SEVERITY_WARNING"}' http://$SALESOPS_GATEWAY_ADDR/salesops.warning.v1.WarningService/ListWarnings
  curl -s -H "authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
    -d '{"period": "fiscalPeriods/FY$(date +%Y)-Q$(( ($(date +%-m) - 1) / 3 + 1 ))", "subject": "orgUnits/team-east-1"}' \\
    http://$SALESOPS_GATEWAY_ADDR/salesops.targets.v1.TargetsService/GetAttainment
  curl -sN -H "authorization: Bearer \$TOKEN" http://$SALESOPS_GATEWAY_ADDR/v1/stream     # live events, Ctrl-C to leave
  $local/kcat.sh -C -t salesops.customers.events.v1 -o -5 -e -f '%k %h\n'
  curl -s http://127.0.0.1:$((org_port + 1000))/metrics | head
Every RPC of every service answers at http://$SALESOPS_GATEWAY_ADDR/<package>.<Service>/<Method>
(services/gateway/README.md); grpcurl, if you have it: $local/grpcurl.sh (reflection is on locally).

Ctrl-C stops everything.
INFO

wait "${pids[@]}"
