#!/usr/bin/env bash
# Builds the container image the integration suites run pods with. No image
# registry is reachable from CI, so the image is made locally: Debian's static
# busybox on an otherwise empty root filesystem, imported with `docker import`.
# It serves HTTP (`httpd -f -p 8080 -h /var/www`) and has wget, nc, sh, sleep,
# hostname and the rest of busybox's applets. Safe to run again: an image of
# the current recipe is left alone.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/setup/apt-install.sh
source "$here/apt-install.sh"

image=kubelab/busybox:test
# Bump when the recipe below changes, so that machines holding an image made
# by an older recipe rebuild it instead of keeping it.
recipe_version=1
version_label=org.kubelab.test-image.recipe

current_version=$(docker image inspect --format "{{ index .Config.Labels \"$version_label\" }}" "$image" 2>/dev/null || true)
if [[ $current_version == "$recipe_version" ]]; then
  echo "test image: $image present"
  exit 0
fi

started=$SECONDS

# The dynamic `busybox` package would need the host's libc inside the image.
if ! dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
  echo "test image: installing Debian's busybox-static"
  apt_install busybox-static
fi
busybox=/bin/busybox

rootfs=$(mktemp -d -t kubelab-busybox-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT

mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,proc,sys,dev,run,var/www,var/log}
install -d -m 1777 "$rootfs/tmp"
install -m 0755 "$busybox" "$rootfs/bin/busybox"
# --list-full gives each applet's usual path (bin/sh, usr/bin/wget, ...).
while read -r applet_path; do
  [[ $applet_path == bin/busybox ]] && continue
  ln -sf /bin/busybox "$rootfs/$applet_path"
done < <("$busybox" --list-full)

cat >"$rootfs/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$rootfs/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
echo kubelab-test >"$rootfs/etc/hostname"
echo 'kubelab test image' >"$rootfs/var/www/index.html"

# Fixed owners, order and times keep the layer the same from build to build.
tar --create --directory "$rootfs" --numeric-owner --owner=0 --group=0 \
  --sort=name --mtime=@0 . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["sh"]' \
    --change "LABEL $version_label=$recipe_version" \
    --message "kubelab test image (busybox-static), recipe $recipe_version" \
    - "$image" >/dev/null

# A broken image would otherwise only show up as confusing pod failures.
if ! docker run --rm "$image" sh -c \
  'for applet in httpd wget nc sleep hostname; do command -v "$applet" >/dev/null || { echo "missing $applet"; exit 1; }; done'; then
  docker image rm "$image" >/dev/null 2>&1 || true
  echo "test image: ERROR: $image was built but cannot run its applets" >&2
  exit 1
fi

echo "test image: built $image in $((SECONDS - started))s"
