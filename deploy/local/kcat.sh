#!/usr/bin/env bash
# kcat as the local broker's admin user: adds the SASL settings kafka.sh wrote for it
# (DIR/kcat.conf, mode 0600) and, unless -b is given, the broker address. The broker
# takes no unauthenticated clients, so plain `kcat -b 127.0.0.1:9092` is refused.
#
# Usage: kcat.sh KCAT_ARGS...      e.g. kcat.sh -C -t salesops.org.events.v1 -o -5 -e
# Env:   SALESOPS_KAFKA_DIR  the broker's folder (default <repo>/.run/kafka, as `make run`)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="${SALESOPS_KAFKA_DIR:-${SALESOPS_RUN_DIR:-$root/.run}/kafka}"

die() { echo "kcat.sh: $*" >&2; exit 1; }
command -v kcat >/dev/null || die "kcat not found (apt-get install kcat)"
[ -r "$dir/kcat.conf" ] || die "no $dir/kcat.conf: start the broker first (make run), or set SALESOPS_KAFKA_DIR"

args=(-F "$dir/kcat.conf")
case " $* " in
  *" -b "*) ;;
  *)
    # A single broker's address, or a cluster's bootstrap list (kafka.sh start-cluster).
    broker=$("$root/deploy/local/kafka.sh" bootstrap "$dir" 2>/dev/null || true)
    [ -n "$broker" ] || die "cannot find the broker address in $dir"
    args+=(-b "$broker")
    ;;
esac
exec kcat "${args[@]}" "$@" 2> >(grep -v '^% Reading configuration from file' >&2)
