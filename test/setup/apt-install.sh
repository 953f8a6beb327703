#!/usr/bin/env bash
# Sourced by the ensure-*.sh scripts: apt_install PKG... installs Debian packages
# without prompts. The package lists are refreshed only when needed (a package
# has no candidate, or a download fails because the lists went stale), since
# `apt-get update` is the slow, network-bound part.

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  # Other jobs on the machine may hold the dpkg lock for a while.
  local apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)

  local pkg needs_update=0
  for pkg in "$@"; do
    if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]'; then
      needs_update=1
    fi
  done
  if [[ $needs_update == 1 ]]; then
    apt_update
  fi

  if ! apt-get install "${apt_opts[@]}" "$@"; then
    echo "apt-get install $* failed; refreshing package lists and retrying" >&2
    apt_update
    apt-get install "${apt_opts[@]}" "$@"
  fi
}

# Unreachable extra repositories make `apt-get update` exit non-zero even though
# Debian's own lists were refreshed, so its status is reported, not fatal.
apt_update() {
  apt-get update -q -o DPkg::Lock::Timeout=300 || echo "apt-get update reported errors; continuing with the lists it got" >&2
}
