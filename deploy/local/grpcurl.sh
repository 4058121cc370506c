#!/usr/bin/env bash
# grpcurl with the local TLS files: the services serve mTLS, so a call needs the local
# CA (-cacert) and a client certificate (-cert/-key, the tools' one). Everything else is
# passed through, e.g.
#   grpcurl.sh -H "authorization: Bearer $TOKEN" -d '{"page_size": 3}' \
#     127.0.0.1:7103 salesops.customers.v1.CustomersService/ListCustomers
# Env: SALESOPS_TLS_DIR  the folder of deploy/local/tls.sh (default <repo>/.cache/tls)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="${SALESOPS_TLS_DIR:-$root/.cache/tls}"

die() { echo "grpcurl.sh: $*" >&2; exit 1; }
command -v grpcurl >/dev/null ||
  die "grpcurl not found: install it from https://github.com/fullstorydev/grpcurl/releases"
[ -r "$dir/ca.pem" ] && [ -r "$dir/client-tools.key" ] ||
  die "no TLS files in $dir: run deploy/local/tls.sh (make setup does)"
exec grpcurl -cacert "$dir/ca.pem" -cert "$dir/client-tools.pem" -key "$dir/client-tools.key" "$@"
