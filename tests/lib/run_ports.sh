# Sourced by the tests that start the suite with `make run`'s own script
# (deploy/local/run.sh): port_open, and salesops_pick_ports RUN_DIR, which
# exports SALESOPS_RUN_DIR and, for every SALESOPS_*_PORT the script reads, a
# free loopback port p whose metrics port p + 1000 is free too, no two alike.
#   . tests/lib/run_ports.sh && salesops_pick_ports "$tmp/run" || fail "no free ports"

_salesops_free_port="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../deploy/local" && pwd)/free_port.sh"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

salesops_pick_ports() {
  local taken=" " v p _
  export SALESOPS_RUN_DIR=$1
  for v in REDIS KAFKA KAFKA_CONTROLLER ORG TARGETS CUSTOMERS PERFORMANCE FORECAST WARNING SYNC GATEWAY; do
    p=""
    for _ in $(seq 1 100); do
      p=$("$_salesops_free_port")
      if [ "$p" -lt 64000 ] && ! port_open $((p + 1000)) && [[ "$taken" != *" $p "* ]] &&
         [[ "$taken" != *" $((p + 1000)) "* ]]; then
        taken+="$p $((p + 1000)) "
        break
      fi
      p=""
    done
    [ -n "$p" ] || return 1
    export "SALESOPS_${v}_PORT=$p"
  done
}
