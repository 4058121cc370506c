#!/usr/bin/env bash
# Builds the images of deploy/docker/Dockerfile, one per service (salesops-<service>:TAG),
# and checks each: its configured user is the non-root 10001, its entrypoint is its
# server, and that server prints its flags when run inside the image as that user.
#
#   deploy/docker/build-images.sh [TAG]          (root; TAG default: dev)
#   SERVICES="org gateway" deploy/docker/build-images.sh   (some of them)
#
# With a Docker engine it uses `docker build`. Without one (this project's build machines
# have none) it uses buildah from Debian's packages, daemonless: chroot isolation, vfs
# storage. When no registry is reachable, the two base images are made locally from a
# debootstrap minbase root of bookworm, tagged debian:bookworm and debian:bookworm-slim
# (what the official images are built from; set BASE_FROM_REGISTRY=1 to pull them instead).
# The shared build stage is built once and reused by every service's target (--layers).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dockerfile=$repo/deploy/docker/Dockerfile
tag=${1:-dev}
services=${SERVICES:-org targets customers performance forecast warning sync gateway}
[ "$(id -u)" = 0 ] || { echo "needs root (buildah's chroot isolation, apt)" >&2; exit 2; }
start=$(date +%s)
cd "$repo"

if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  engine=docker
else
  engine=buildah
  command -v buildah >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah >/dev/null
  export STORAGE_DRIVER=vfs BUILDAH_ISOLATION=chroot
fi
echo "== $engine"

# --- the base images, when they cannot be pulled ---------------------------------------
have_image() {
  if [ "$engine" = docker ]; then docker image inspect "$1" >/dev/null 2>&1
  else buildah inspect --type image "$1" >/dev/null 2>&1; fi
}
pull=()
if [ "${BASE_FROM_REGISTRY:-0}" = 1 ]; then
  pull=(--pull)
elif [ "$engine" = buildah ]; then
  pull=(--pull=never)
  if ! have_image docker.io/library/debian:bookworm-slim; then
    cache=${FRESH_CACHE:-/var/cache/fresh-debian}
    tgz=$cache/bookworm-minbase.tgz
    if [ ! -s "$tgz" ]; then
      command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
      mkdir -p "$cache"
      tmp=$(mktemp -d)
      debootstrap --variant=minbase bookworm "$tmp" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >/dev/null
      tar -C "$tmp" -czf "$tgz.tmp" . && mv "$tgz.tmp" "$tgz"
      rm -rf "$tmp"
    fi
    ctr=$(buildah from scratch)
    buildah add "$ctr" "$tgz" / >/dev/null
    buildah config --cmd /bin/bash --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
    buildah commit -q "$ctr" docker.io/library/debian:bookworm-slim >/dev/null
    buildah rm "$ctr" >/dev/null
    echo "   base images made from $tgz (debootstrap minbase)"
  fi
  have_image docker.io/library/debian:bookworm ||
    buildah tag docker.io/library/debian:bookworm-slim docker.io/library/debian:bookworm
fi

# This machine's CA bundle (it may trust a TLS-intercepting proxy the base images do
# not know) for the web stage's downloads from the npm registry: mounted for the build
# steps only (/run/host-ca.crt), never copied into an image.
ca_mount=()
bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
if [ "$engine" = buildah ] && [ -s "$bundle" ]; then
  ca_mount=(-v "$bundle:/run/host-ca.crt:ro")
fi

# --- build, then check each image ------------------------------------------------------
failed=0
printf '%-12s %-8s %10s %-12s %s\n' service build size user check
for svc in $services; do
  image=salesops-$svc:$tag
  t0=$(date +%s)
  log=$(mktemp)
  if [ "$engine" = docker ]; then
    ok=0; docker build "${pull[@]}" -f "$dockerfile" --target "$svc" -t "$image" . >"$log" 2>&1 || ok=$?
  else
    ok=0; buildah bud "${pull[@]}" "${ca_mount[@]}" --layers -f "$dockerfile" --target "$svc" -t "$image" . >"$log" 2>&1 || ok=$?
  fi
  took=$(( $(date +%s) - t0 ))
  if [ "$ok" != 0 ]; then
    printf '%-12s %-8s\n' "$svc" FAILED; tail -30 "$log"; failed=1; rm -f "$log"; continue
  fi
  rm -f "$log"
  binary=${svc}_server
  if [ "$engine" = docker ]; then
    user=$(docker image inspect -f '{{.Config.User}}' "$image")
    entry=$(docker image inspect -f '{{.Config.Entrypoint}}' "$image" | tr -d '[]')
    size=$(docker image inspect -f '{{.Size}}' "$image")
    flags=$(docker run --rm "$image" --helpfull 2>&1 || true)
  else
    user=$(buildah inspect --type image -f '{{.OCIv1.Config.User}}' "$image")
    entry=$(buildah inspect --type image -f '{{.OCIv1.Config.Entrypoint}}' "$image" | tr -d '[]')
    size=$(buildah images --format '{{.Size}}' "$image" | head -1)
    ctr=$(buildah from --pull=never "$image")
    flags=$(buildah run --user "$user" "$ctr" -- "/usr/local/bin/$binary" --helpfull 2>&1 || true)
    buildah rm "$ctr" >/dev/null
  fi
  check=ok
  [ "$user" = 10001:10001 ] || check="user is '$user', not 10001:10001"
  [ "$entry" = "/usr/local/bin/$binary" ] || check="entrypoint is '$entry'"
  grep -q -- "--${svc}_addr\|--gateway_addr" <<<"$flags" || check="--helpfull as $user printed: $(head -3 <<<"$flags")"
  printf '%-12s %-8s %10s %-12s %s\n' "$svc" "${took}s" "$size" "$user" "$check"
  [ "$check" = ok ] || failed=1
done
echo "== $(( $(date +%s) - start )) s"
exit "$failed"
