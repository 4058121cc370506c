#!/usr/bin/env bash
# Makes the local CA and the certificates `make run` and `make test` serve gRPC with,
# using openssl, idempotently. DIR (default <repo>/.cache/tls, git-ignored) gets:
#   ca.pem, ca.key                         the local CA (10 years)
#   server.pem, server.key                 for 127.0.0.1, ::1 and localhost (server auth)
#   client-<name>.pem, client-<name>.key   CN=<name>, client auth, for mTLS: one per service
#                                          and one for the tools (salesopsctl, demo loaders,
#                                          tests, benchmarks, grpcurl)
# Keys are EC P-256, mode 0600. A re-run keeps every certificate that the current CA
# signed and that is valid for 30 more days, and remakes the others (all of them when
# the CA is remade). Safe to run concurrently (a lock in DIR).
#
# Usage: tls.sh [DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="${1:-$root/.cache/tls}"
clients=(tools org customers targets warning performance forecast sync gateway)
renew_before=$((30 * 86400))

die() { echo "tls.sh: $*" >&2; exit 1; }
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"

mkdir -p "$dir"
chmod 700 "$dir"
exec 9>"$dir/.lock"
flock 9

# True when $1 exists, is signed by the current CA and stays valid for 30 more days.
still_good() {
  [ -s "$1" ] && [ -s "${1%.pem}.key" ] &&
    openssl x509 -checkend "$renew_before" -noout -in "$1" >/dev/null 2>&1 &&
    openssl verify -CAfile "$dir/ca.pem" "$1" >/dev/null 2>&1
}

# new_key FILE: an EC P-256 private key (PKCS#8 PEM), mode 0600.
new_key() {
  (umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.tmp" 2>/dev/null) ||
    die "cannot make the key $1"
  mv "$1.tmp" "$1"
}

# issue NAME SUBJECT EXTENSIONS: NAME.pem/NAME.key signed by the CA.
issue() {
  local name=$1 subject=$2 ext=$3 out
  new_key "$dir/$name.key"
  out=$(openssl req -new -key "$dir/$name.key" -subj "$subject" 2>&1 |
    openssl x509 -req -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
      -CAserial "$dir/ca.srl" -days 825 -sha256 -extfile <(printf '%s\n' "$ext") \
      -out "$dir/$name.pem.tmp" 2>&1) || die "cannot issue $name: $out"
  mv "$dir/$name.pem.tmp" "$dir/$name.pem"
}

made=()
if ! [ -s "$dir/ca.pem" ] || ! [ -s "$dir/ca.key" ] ||
   ! openssl x509 -checkend "$renew_before" -noout -in "$dir/ca.pem" >/dev/null 2>&1; then
  new_key "$dir/ca.key"
  out=$(openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 \
    -subj "/O=SalesOps local/CN=SalesOps local CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem.tmp" 2>&1) || die "cannot make the CA: $out"
  mv "$dir/ca.pem.tmp" "$dir/ca.pem"
  made+=(ca)
fi

if ! still_good "$dir/server.pem"; then
  issue server "/O=SalesOps local/CN=localhost" \
    "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"
  made+=(server)
fi

for name in "${clients[@]}"; do
  still_good "$dir/client-$name.pem" && continue
  issue "client-$name" "/O=SalesOps local/CN=$name" \
    "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
  made+=("client-$name")
done

chmod 600 "$dir"/*.key
chmod 644 "$dir"/*.pem
if [ ${#made[@]} -gt 0 ]; then
  echo "tls.sh: made ${made[*]} in $dir"
fi
