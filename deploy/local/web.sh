#!/usr/bin/env bash
# Builds the phone dashboard (web/) into web/dist, which the gateway serves:
# the pinned Node.js (node.sh), `npm ci` from the committed lock file when the
# lock changed, the TypeScript clients generated from protos/, a type check and
# a Vite build when a source changed. Idempotent and quiet when up to date.
#   deploy/local/web.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
web="$root/web"

bash "$here/node.sh"
export PATH="$(bash "$here/node.sh" --bin):$PATH"
cd "$web"

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.lock-sum ] || [ "$(cat node_modules/.lock-sum)" != "$lock_sum" ]; then
  echo "web: npm ci (from package-lock.json)"
  npm ci --no-audit --no-fund --no-update-notifier --loglevel=error >/dev/null
  echo "$lock_sum" >node_modules/.lock-sum
fi

# Rebuild when any input is newer than the last build.
stamp=dist/.built
if [ -f "$stamp" ] && [ -z "$(find src index.html vite.config.ts tsconfig.json package-lock.json scripts ../protos \
      -newer "$stamp" -type f ! -path 'src/gen/*' -print -quit)" ]; then
  exit 0
fi
echo "web: building the dashboard (web/dist)"
bash scripts/gen.sh
npx tsc --noEmit
npx vite build --logLevel warn
touch "$stamp"
