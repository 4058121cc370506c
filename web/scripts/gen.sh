#!/usr/bin/env bash
# TypeScript messages and service descriptors for every service, generated from
# protos/ by Debian's protoc with protoc-gen-es (from the lock file) into src/gen
# (git-ignored): the Connect clients in src/api.ts are typed by them. Also the
# descriptor set, which tests/gateway.test.mjs walks to call every RPC.
set -euo pipefail
web=$(cd "$(dirname "$0")/.." && pwd)
protos=$(cd "$web/../protos" && pwd)
out="$web/src/gen"
rm -rf "$out"
mkdir -p "$out"
cd "$protos"
# The bench echo service and the stores' internal records are not part of the API.
files=$(find salesops -name '*.proto' ! -path 'salesops/bench/*' ! -name '*_store.proto' | sort)
protoc -I "$protos" --plugin=protoc-gen-es="$web/node_modules/.bin/protoc-gen-es" \
  --es_out="$out" --es_opt=target=ts,import_extension=js \
  --descriptor_set_out="$out/salesops.binpb" --include_imports $files
