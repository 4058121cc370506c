#!/usr/bin/env bash
# The gateway over HTTP and the phone dashboard in a real browser (issue 17):
# starts the whole suite with
# `make run`'s own script (real Redis, Kafka, services, gateway serving web/dist,
# a small demo) on free loopback ports in a temporary folder, picks a supervisor
# whose team has an open warning about a deal, and runs web/tests: the gateway
# test (every RPC, statuses, the stream's scope) and the dashboard (Playwright in
# Debian's chromium at 390×844). Screenshots land in $SALESOPS_WEB_ARTIFACTS
# (default BUILD_DIR/web-artifacts). Waits on the run's output, never a sleep.
#   tests/web/dashboard_test.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?build dir}" && pwd)
local="$root/deploy/local"
tmp=$(mktemp -d /tmp/salesops-web.XXXXXX)
artifacts=${SALESOPS_WEB_ARTIFACTS:-$build/web-artifacts}
run_pid=""
cleanup() {
  if [ -n "$run_pid" ]; then
    kill -INT -- "-$run_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$run_pid" 2>/dev/null || true
  fi
  "$local/kafka.sh" stop "$tmp/run/kafka" >/dev/null 2>&1 || true
  "$local/redis.sh" stop "$tmp/run/redis" >/dev/null 2>&1 || true
  if [ "${KEEP_TEST_DIR:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 60 "$tmp/run.log" >&2 || true; exit 1; }

[ -f "$root/web/dist/index.html" ] || fail "web/dist is not built (make web)"
command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null || fail "no chromium (make setup-test installs Debian's)"

. "$root/tests/lib/run_ports.sh"
salesops_pick_ports "$tmp/run" || fail "no free loopback port pairs"
# The simulator off while the browser counts deals; run on its own at the end.
export BUILD_DIR="$build" SALESOPS_DEMO_SCALE=${SALESOPS_DEMO_SCALE:-0.02} SALESOPS_SIM_RATE=0

echo "== starting the suite (make run's script, demo scale $SALESOPS_DEMO_SCALE)"
# Its own process group, SIGINT at its default (a background job starts with it
# ignored): stopped below as Ctrl-C would.
python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp("bash", ["bash", sys.argv[1]])' "$local/run.sh" >"$tmp/run.log" 2>&1 &
run_pid=$!
deadline=$((SECONDS + 900))
until grep -q "SalesOps is running" "$tmp/run.log"; do
  kill -0 "$run_pid" 2>/dev/null || fail "make run stopped"
  [ $SECONDS -lt $deadline ] || fail "no 'SalesOps is running' within 900 s"
  sleep 0.2
done

ctl="$build/tools/salesopsctl/salesopsctl"
export SALESOPS_JWT_HS256_SECRET=$(cat "$SALESOPS_RUN_DIR/jwt-secret")
gateway="http://127.0.0.1:$SALESOPS_GATEWAY_PORT"
admin=$("$ctl" token --sub=browser-test-admin --role=admin --ttl=1h)

# The barrier: every service's consumers caught up with the demo's events (their
# salesops_consumer_caught_up gauges), so that the warnings on screen are the
# settled ones, not ones the backlog is about to resolve.
caught_up() {
  local v port lines
  for v in ORG TARGETS CUSTOMERS PERFORMANCE FORECAST WARNING; do
    port=$(( $(printenv "SALESOPS_${v}_PORT") + 1000 ))
    lines=$(curl -s "http://127.0.0.1:$port/metrics" | grep '^salesops_consumer_caught_up' || true)
    [ -n "$lines" ] || return 1
    ! grep -qv ' 1$' <<<"$lines" || return 1
  done
}
deadline=$((SECONDS + 300))
until caught_up; do
  [ $SECONDS -lt $deadline ] || fail "the services' consumers did not catch up within 300 s"
  sleep 0.5
done
echo "== every service's consumers caught up"

# A supervisor with an open warning about one of their team's deals (the demo's
# stalled-deal rules raise some).
pick_team() {
  curl -s -H "authorization: Bearer $admin" -H 'content-type: application/json' \
    -d '{"page_size": 200, "states": ["WARNING_STATE_OPEN"]}' \
    "$gateway/salesops.warning.v1.WarningService/ListWarnings" | python3 -c '
import json, sys
for w in json.load(sys.stdin).get("warnings", []):
    if w.get("subject", "").startswith("opportunities/") and w.get("responsibleSupervisor") and w.get("orgUnit"):
        print(w["responsibleSupervisor"].split("/", 1)[1], w["orgUnit"].split("/", 1)[1], w["name"])
        break'
}
deadline=$((SECONDS + 300))
found=""
until [ -n "$found" ]; do
  found=$(pick_team || true)
  [ -n "$found" ] && break
  [ $SECONDS -lt $deadline ] || fail "no open warning about a deal within 300 s"
  sleep 1
done
read -r sup team warning <<<"$found"
echo "== supervisor $sup of $team, $warning; gateway $gateway"

export SALESOPS_GATEWAY_URL="$gateway" SALESOPS_TEST_TEAM="$team" SALESOPS_TEST_ADMIN_TOKEN="$admin" \
  SALESOPS_TEST_WARNING="$warning"
export SALESOPS_TEST_SUP_TOKEN=$("$ctl" token --sub="$sup" --role=supervisor --org_unit="$team" --ttl=1h)
export SALESOPS_TEST_ARTIFACTS="$artifacts"
export PATH="$(bash "$local/node.sh" --bin):$PATH"
cd "$root/web"
node --test --test-concurrency=1 tests/gateway.test.mjs tests/dashboard.test.mjs

# salesopsctl call: any RPC by name, JSON in, a table or JSON out.
echo "== salesopsctl call"
tls="$root/.cache/tls"
export SALESOPS_CUSTOMERS_ADDR="127.0.0.1:$SALESOPS_CUSTOMERS_PORT" SALESOPS_TLS_CA_FILE="$tls/ca.pem" \
  SALESOPS_TLS_CLIENT_CERT_FILE="$tls/client-tools.pem" SALESOPS_TLS_CLIENT_KEY_FILE="$tls/client-tools.key"
export SALESOPS_WARNING_ADDR="127.0.0.1:$SALESOPS_WARNING_PORT" SALESOPS_TARGETS_ADDR="127.0.0.1:$SALESOPS_TARGETS_PORT"
table=$("$ctl" call salesops.warning.v1.WarningService/ListWarnings \
  "{\"org_unit\": \"orgUnits/$team\", \"states\": [\"WARNING_STATE_OPEN\", \"WARNING_STATE_ACKNOWLEDGED\"], \"page_size\": 100}" --output=table) || fail "salesopsctl call failed"
head -1 <<<"$table" | grep -q '^name  *rule  *condition' || fail "no table header: $(head -1 <<<"$table")"
grep -q "^$warning " <<<"$table" || fail "the table lacks $warning"
json=$("$ctl" call salesops.targets.v1.TargetsService/GetAttainment \
  "{\"period\": \"fiscalPeriods/FY$(date +%Y)-Q$(( ($(date +%-m) - 1) / 3 + 1 ))\", \"subject\": \"orgUnits/$team\"}") ||
  fail "salesopsctl call GetAttainment failed"
python3 -c 'import json,sys; a=json.loads(sys.argv[1])["attainment"]; assert a["subject"]==sys.argv[2], a' "$json" "orgUnits/$team" ||
  fail "GetAttainment through salesopsctl call: $json"
rc=0; "$ctl" call salesops.org.v1.OrgService/GetOrgUnit '{"nmae": "x"}' 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "a request that is not JSON of the message exited $rc, not 2"

# salesops-sim against the same suite: 60 actions through the public API, each
# accepted or refused by the service with a reason, none lost to an error.
echo "== salesops-sim, 60 actions"
sim_out=$("$build/tools/sim/salesops-sim" --rate=200 --steps=60 --seed=17 --quiet) || fail "salesops-sim exited $?"
echo "$sim_out"
python3 - "$sim_out" <<'PY' || fail "salesops-sim did not act"
import re, sys
m = re.search(r"(\d+) actions \((\d+) new deals, (\d+) stage moves, (\d+) won, (\d+) lost, (\d+) activities, (\d+) payments\), (\d+) refused", sys.argv[1])
assert m, "no summary"
actions, refused = int(m.group(1)), int(m.group(8))
assert actions >= 45, f"only {actions} of 60 steps acted"
assert int(m.group(2)) > 0 and int(m.group(3)) > 0, "no new deal or no stage move"
PY
echo "PASS: gateway over HTTP, the dashboard in chromium, salesops-sim; screenshots in $artifacts"
