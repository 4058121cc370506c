#!/usr/bin/env bash
# Installs everything `make run` and `make test` need on Debian bookworm (as root),
# idempotently: apt packages, then the Apache Kafka broker's jars from Maven Central
# into .cache/kafka, then the local CA and TLS certificates into .cache/tls (tls.sh),
# then Node.js for the dashboard into .cache/node (node.sh; all git-ignored). Re-running does nothing when all is present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librdkafka-dev libhiredis-dev libssl-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-14 libclang-rt-14-dev
  libjwt-dev libcpp-httplib-dev nlohmann-json3-dev
  golang-github-gogo-googleapis-dev
  redis-server kcat openjdk-17-jre-headless maven
  procps iproute2 curl netcat-openbsd python3 openssl
)
# `make test` also drives the dashboard in Debian's chromium (never a browser
# download), with a font that has the Chinese glyphs, and checks the C++
# formatting with clang-format 16 (the first in bookworm with InsertBraces).
if [ "${SALESOPS_SETUP_BROWSER:-0}" = 1 ]; then
  packages+=(chromium fonts-wqy-microhei clang-format-16)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages (${missing[*]}); run 'make setup' as root" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian redis-server package starts a system instance on 6379; we run our own.
  (systemctl disable --now redis-server 2>/dev/null || service redis-server stop 2>/dev/null || true) >/dev/null 2>&1
fi

"$here/fetch_kafka.sh"
"$here/tls.sh"
# Node.js for the dashboard's build (pinned, from the npm registry).
"$here/node.sh"
