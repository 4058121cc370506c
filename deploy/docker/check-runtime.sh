#!/usr/bin/env bash
# Checks deploy/docker/Dockerfile's runtime images without Docker: installs exactly the
# runtime stage's apt packages into a fresh minimal bookworm root, copies in the binaries
# each per-service stage copies, and asks each of them to resolve its shared libraries
# (ldd, as the stages' RUN does) and to print its flags as the image's non-root USER.
# The package list and the stages are read from the Dockerfile, so a package dropped or
# misspelt there fails here. It does not build the images (nor the web stage's dashboard).
#
#   deploy/docker/check-runtime.sh [BUILD_DIR]     (root; BUILD_DIR default: build)
#   DOCKERFILE=/tmp/Dockerfile deploy/docker/check-runtime.sh    (check another copy)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dockerfile=${DOCKERFILE:-$repo/deploy/docker/Dockerfile}
build=${1:-${BUILD_DIR:-$repo/build}}
[ "$(id -u)" = 0 ] || { echo "needs root (debootstrap, chroot, mount)" >&2; exit 2; }
start=$(date +%s)

# --- what the Dockerfile says -----------------------------------------------------------
# Logical lines: comments dropped, "\" continuations joined.
lines=$(sed -e '/^[[:space:]]*#/d' -e ':a' -e '/\\$/{N;s/\\\n/ /;ta}' "$dockerfile")
# The packages after `apt-get install` in the bookworm-slim "runtime" stage (options skipped).
pkgs=$(awk '$1 == "FROM" { st = ($2 == "debian:bookworm-slim" && tolower($3) == "as") ? $4 : "" }
  st == "runtime" && $1 == "RUN" && /apt-get install/ {
    sub(/.*apt-get install/, ""); sub(/&&.*/, "")
    for (i = 1; i <= NF; i++) if ($i !~ /^-/) print $i }' <<<"$lines" | xargs)
# One line per stage built on the runtime (and the runtime itself):
#   stage user entrypoint path...   (- for none; path "*" = the whole of /out/)
stages=$(awk 'function flush() { if (st) print st, user, entry, paths }
  $1 == "FROM" { flush(); st = ""; user = entry = "-"; paths = ""
    if (tolower($3) == "as" && ($2 == "runtime" || ($2 == "debian:bookworm-slim" && $4 == "runtime"))) st = $4
    next }
  !st { next }
  $1 == "COPY" && $2 == "--from=build" { for (i = 3; i < NF; i++) {
      if ($i == "/out/" || $i == "/out") paths = paths " *"
      else if ($i ~ /^\/out\//) { n = $i; sub(/.*\//, "", n); paths = paths " " ($NF ~ /\/$/ ? $NF n : $NF) } } }
  $1 == "USER" { user = $2 }
  $1 == "ENTRYPOINT" { entry = $2; gsub(/[][",]/, "", entry) }
  END { flush() }' <<<"$lines")
[ -n "$pkgs" ] || { echo "no apt-get install in the runtime stage of $dockerfile" >&2; exit 2; }
base_paths=$(awk '$1 == "runtime" { $1 = $2 = $3 = ""; print }' <<<"$stages" | xargs)
# "COPY /out/" (the all-in-one stage) copies every binary the build stage put there: the
# ones the per-service stages pick one by one.
all_paths=$(awk '$1 != "runtime" { for (i = 4; i <= NF; i++) if ($i != "*") print $i }' <<<"$stages" | sort -u | xargs)
echo "== $dockerfile"
echo "   runtime packages: $pkgs"

# --- a fresh bookworm root, as /work/shared/tools/fresh-debian-check makes it ------------
# debootstrap's minbase is close to debian:bookworm-slim (both: the Essential/required
# packages, no recommends), so a library slim lacks is missing here too.
cache=${FRESH_CACHE:-/var/cache/fresh-debian}
tgz=$cache/bookworm-minbase.tgz
if [ ! -s "$tgz" ]; then
  mirror=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true) \
    | grep -oE '^(URIs: |deb )\S+' | awk '{print $2}' | grep -E '/debian/?$' | head -1 || true)
  [ -n "$mirror" ] || { echo "no Debian mirror found in apt sources" >&2; exit 2; }
  command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
  echo "== building $tgz (first time only)"
  mkdir -p "$cache"; tmp=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$tmp" "$mirror" >/dev/null
  tar -C "$tmp" -czf "$tgz" .; rm -rf "$tmp"
fi
root=$(mktemp -d /tmp/runtime-check.XXXX)
cleanup() {
  for m in proc sys dev; do umount -l "$root/$m" 2>/dev/null || true; done
  # --one-file-system: should an unmount have failed, never descend into the host's /dev.
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -C "$root" -xzf "$tgz"
# The tarball's "." is debootstrap's mktemp dir (0700): as in an image, / must be 0755 or
# the non-root user cannot reach a single library.
chmod 755 "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# Same Debian suites as this machine (with updates and security, as the slim image has).
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  : > "$root/etc/apt/sources.list"
fi
mount -t proc proc "$root/proc"; mount --rbind /sys "$root/sys"; mount --rbind /dev "$root/dev"

echo "== apt-get install (only the runtime stage's list)"
# shellcheck disable=SC2086  # $pkgs: one word per package
if ! chroot "$root" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends $pkgs" >"$root/apt.log" 2>&1; then
  grep -E '^(E|W):' "$root/apt.log" >&2 || tail -20 "$root/apt.log" >&2
  echo "FAILED: the runtime stage's apt-get install" >&2; exit 1
fi

# --- the binaries, checked per stage ------------------------------------------------------
src_of() {  # where the build folder has the binary the Dockerfile's /out/<name> is
  case $1 in
    salesops-health) echo "$build/tools/health/salesops-health" ;;
    *_server) echo "$build/services/${1%_server}/$1" ;;
    *) echo "$build/$1" ;;
  esac
}
for p in $base_paths $all_paths; do
  s=$(src_of "${p##*/}")
  [ -x "$s" ] || { echo "not built: $s (run make build)" >&2; exit 2; }
  mkdir -p "$root${p%/*}"; cp "$s" "$root$p"
done

fail=0
rows=()
row() { rows+=("$(printf '%-12s %-20s %5s  %s' "$@")"); [ "$4" = ok ] || fail=1; }
while read -r stage user entry paths; do
  paths=${paths//\*/$all_paths}
  # The runtime stage's own binaries (the probe) are the same file in every image: checked
  # once, as the images' user. The others run as their stage's USER, numeric since only
  # the packages' users exist here, and must be their ENTRYPOINT.
  if [ "$stage" = runtime ]; then user=10001:10001
  else
    if [[ ! $user =~ ^[1-9][0-9]*:[1-9][0-9]*$ ]]; then
      row "$stage" "USER $user" - "FAILED: not a numeric non-root uid:gid"; user=10001:10001
    fi
    [[ " $paths " == *" $entry "* ]] || row "$stage" "ENTRYPOINT $entry" - "FAILED: not a copied binary"
  fi
  for p in $paths; do
    out=$(chroot "$root" ldd "$p" 2>&1) || true
    n=$(grep -c '=> /' <<<"$out" || true)
    missing=$(awk '/not found/ { printf "%s%s", sep, $1; sep = " " }' <<<"$out")
    # Abseil's --helpfull prints every flag, then exits 1; a server has --kafka_bootstrap.
    want=--kafka_bootstrap; [ "${p##*/}" = salesops-health ] && want=--addr
    run=$(chroot "$root" setpriv --reuid="${user%:*}" --regid="${user#*:}" --clear-groups \
          "$p" --helpfull 2>&1) || true
    if [ -n "$missing" ]; then row "$stage" "${p##*/}" "$n" "FAILED: not found: $missing"
    elif ! grep -q -- "$want" <<<"$run"; then
      row "$stage" "${p##*/}" "$n" "FAILED: --helpfull as $user: $(head -1 <<<"$run")"
    else row "$stage" "${p##*/}" "$n" ok; fi
  done
done <<<"$stages"

echo
printf '%-12s %-20s %5s  %s\n' STAGE BINARY LIBS RESULT
printf '%s\n' "${rows[@]}"
echo "== $([ $fail = 0 ] && echo ok || echo FAILED) after $(( $(date +%s) - start )) s"
exit $fail
