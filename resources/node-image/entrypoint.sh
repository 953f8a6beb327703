#!/bin/sh
# Kubelab node image entrypoint: prepares what a Docker daemon needs inside a
# container (cgroups, iptables, a storage driver that works here) and then runs
# dockerd on a unix socket in /run/kubelab, a directory the host bind-mounts so
# it reaches the inner daemon as a file (<dataDir>/nodes/<name>/docker.sock).
#
# It works both in a --privileged container and in one started with
# --cap-add ALL --cap-drop SYS_RESOURCE and seccomp/apparmor unconfined (for
# hosts that refuse --privileged): in the latter /sys and the cgroup mounts are
# read-only, so they are remounted read-write first.
#
#   KUBELAB_SOCKET_GID   group id that may use the socket (the host user's)
#   KUBELAB_DOCKERD_ARGS extra dockerd flags
set -eu

log() { echo "kubelab-node: $*" >&2; }

socket_dir=/run/kubelab
mkdir -p "$socket_dir"
rm -f "$socket_dir/docker.sock" "$socket_dir/docker.pid"

# Without --privileged, /sys, /proc/sys and the cgroup hierarchies are mounted
# read-only; dockerd writes to all of them (cgroups, bridge and forwarding
# settings). A plain remount changes the filesystem, a bind remount only this
# mount: try both.
make_writable() {
  mount -o remount,rw "$1" 2>/dev/null || mount -o remount,bind,rw "$1" 2>/dev/null ||
    log "could not make $1 writable"
}
mount_is_ro() { awk -v m="$1" '$5 == m { split($6, o, ","); print o[1] }' /proc/self/mountinfo | grep -qx ro; }
for path in /sys /proc/sys; do
  if mount_is_ro "$path"; then make_writable "$path"; fi
done

if [ -d /sys/kernel/security ] && ! mountpoint -q /sys/kernel/security; then
  mount -t securityfs none /sys/kernel/security 2>/dev/null || true
fi

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2: a cgroup with processes cannot delegate controllers, so move
  # ourselves into a child group first, then enable every controller for the
  # inner daemon's containers.
  if mount_is_ro /sys/fs/cgroup; then make_writable /sys/fs/cgroup; fi
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 </sys/fs/cgroup/cgroup.procs >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
  sed -e 's/ / +/g' -e 's/^/+/' </sys/fs/cgroup/cgroup.controllers >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
    log "could not enable cgroup v2 controllers"
else
  # cgroup v1: Docker mounts a tmpfs with one mount per hierarchy; mount any
  # hierarchy that is missing and make them all writable.
  if ! mountpoint -q /sys/fs/cgroup; then
    mount -t tmpfs -o uid=0,gid=0,mode=0755 cgroup /sys/fs/cgroup
  fi
  if mount_is_ro /sys/fs/cgroup; then make_writable /sys/fs/cgroup; fi
  for subsystems in $(cut -d: -f2 /proc/1/cgroup | sort -u); do
    [ -n "$subsystems" ] || continue
    name=${subsystems#name=}
    dir=/sys/fs/cgroup/$name
    if ! mountpoint -q "$dir"; then
      mkdir -p "$dir"
      if [ "$name" = "$subsystems" ]; then
        mount -n -t cgroup -o "$subsystems" cgroup "$dir" || log "could not mount cgroup $subsystems"
      else
        mount -n -t cgroup -o "none,name=$name" cgroup "$dir" || log "could not mount cgroup $name"
      fi
    fi
    if mount_is_ro "$dir"; then make_writable "$dir"; fi
    # Comounted hierarchies (cpu,cpuacct) are also reachable by each name.
    case $name in
    *,*)
      for part in $(echo "$name" | tr ',' ' '); do
        [ -e "/sys/fs/cgroup/$part" ] || ln -s "$name" "/sys/fs/cgroup/$part"
      done
      ;;
    esac
  done
fi

# Debian defaults to iptables-nft; some kernels only have the legacy tables.
iptables_flags=""
if ! iptables -t nat -L -n >/dev/null 2>&1; then
  if command -v iptables-legacy >/dev/null && iptables-legacy -t nat -L -n >/dev/null 2>&1; then
    log "iptables (nft) unusable; switching to iptables-legacy"
    update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null 2>&1 || true
    update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
  else
    log "no working iptables; containers get no NAT or published ports"
    iptables_flags="--iptables=false --ip-masq=false"
  fi
fi

# overlay2 needs a /var/lib/docker that is not itself on overlayfs (Kubelab
# mounts a volume there); when the kernel still refuses it, vfs always works.
storage_driver=overlay2
probe=/var/lib/docker/.kubelab-overlay-probe
mkdir -p "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
  umount "$probe/merged"
else
  log "overlay mounts fail here; using the vfs storage driver (slower, uses more disk)"
  storage_driver=vfs
fi
rm -rf "$probe"

group_flags=""
if [ -n "${KUBELAB_SOCKET_GID:-}" ]; then
  group_flags="--group ${KUBELAB_SOCKET_GID}"
fi

log "starting dockerd (storage driver $storage_driver)"
# shellcheck disable=SC2086 # the flag lists are meant to split
exec dockerd \
  --host "unix://$socket_dir/docker.sock" \
  --pidfile "$socket_dir/docker.pid" \
  --storage-driver "$storage_driver" \
  $group_flags $iptables_flags ${KUBELAB_DOCKERD_ARGS:-} "$@"
