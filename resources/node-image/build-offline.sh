#!/usr/bin/env bash
# Builds Kubelab's lab node image without any image registry: debootstrap makes
# a minimal Debian bookworm root filesystem with Debian's docker.io from the
# Debian mirror, the entrypoint goes in, and `docker import` turns it into
# kubelab/node:<VERSION> (the same image the Dockerfile beside this script makes
# where debian:bookworm-slim can be pulled). Needs root (debootstrap) and a
# Debian-family host (apt-get installs debootstrap when it is missing).
#
#   build-offline.sh [--force] [IMAGE]   default IMAGE: kubelab/node:$(cat VERSION)
#   KUBELAB_DEBIAN_MIRROR   default http://deb.debian.org/debian
#
# Safe to run again: an image of the current recipe is left alone unless --force.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(tr -d '[:space:]' <"$here/VERSION")
# The recipe is VERSION plus the entrypoint's hash, so an edited entrypoint is
# rebuilt without anyone remembering to bump VERSION (node-image.ts agrees).
recipe="$version-$(sha256sum "$here/entrypoint.sh" | cut -c1-12)"
recipe_label=io.kubelab.node-image.recipe

force=0
if [[ ${1:-} == --force ]]; then
  force=1
  shift
fi
image=${1:-kubelab/node:$version}
mirror=${KUBELAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
packages=docker.io,iptables,ca-certificates,procps,tini

fail() {
  echo "node image: ERROR: $*" >&2
  exit 1
}

current=$(docker image inspect --format "{{ index .Config.Labels \"$recipe_label\" }}" "$image" 2>/dev/null || true)
if [[ $force == 0 && $current == "$recipe" ]]; then
  echo "node image: $image (recipe $recipe) present"
  exit 0
fi

[[ $EUID == 0 ]] || fail "debootstrap needs root: run this script as root (or: sudo $0)"
command -v docker >/dev/null || fail "the docker CLI is needed to import the image"

started=$SECONDS
if ! command -v debootstrap >/dev/null; then
  command -v apt-get >/dev/null || fail "debootstrap is missing and this is not a Debian-family system: install debootstrap"
  echo "node image: installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 debootstrap ||
    { apt-get update -q -o DPkg::Lock::Timeout=300 || true; apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 debootstrap; }
fi

workdir=$(mktemp -d "${TMPDIR:-/var/tmp}/kubelab-node-rootfs.XXXXXX")
rootfs=$workdir/rootfs
cleanup() {
  # debootstrap mounts /proc and /sys inside the root filesystem; a failed run
  # can leave them mounted, and removing files through them would be harmful.
  local mounts
  mounts=$(awk -v root="$workdir" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r)
  for m in $mounts; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$workdir"
}
trap cleanup EXIT

echo "node image: debootstrap $suite ($packages) from $mirror"
bootstrap_started=$SECONDS
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$workdir/debootstrap.log" 2>&1; then
  tail -n 30 "$workdir/debootstrap.log" >&2
  [[ -f $rootfs/debootstrap/debootstrap.log ]] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
  fail "debootstrap failed (is $mirror reachable?)"
fi
echo "node image: debootstrap took $((SECONDS - bootstrap_started))s"

install -m 0755 "$here/entrypoint.sh" "$rootfs/usr/local/bin/kubelab-node-entrypoint"
# Nothing in the image needs apt's caches, docs or man pages.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/usr/share/doc "$rootfs"/usr/share/man "$rootfs"/usr/share/info "$rootfs"/debootstrap
: >"$rootfs/etc/hostname"
rm -f "$rootfs/etc/resolv.conf" # Docker provides it at run time

import_started=$SECONDS
tar --create --directory "$rootfs" --numeric-owner --sort=name . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'VOLUME /var/lib/docker' \
    --change 'ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/kubelab-node-entrypoint"]' \
    --change 'CMD []' \
    --change "LABEL $recipe_label=$recipe" \
    --message "kubelab lab node image $recipe (debootstrap $suite + docker.io)" \
    - "$image" >/dev/null
echo "node image: import took $((SECONDS - import_started))s"

docker run --rm --entrypoint dockerd "$image" --version >/dev/null ||
  { docker image rm "$image" >/dev/null 2>&1 || true; fail "$image was built but dockerd does not run in it"; }

echo "node image: built $image in $((SECONDS - started))s ($(docker image inspect --format '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
