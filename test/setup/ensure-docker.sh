#!/usr/bin/env bash
# Makes sure a Docker engine answers `docker info` on this machine, installing
# Debian's docker.io and starting dockerd by hand when needed (CI machines have
# no systemd and may start with nothing installed). Safe to run again: an
# engine that already answers is left alone.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/setup/apt-install.sh
source "$here/apt-install.sh"

wait_seconds=${KUBELAB_DOCKERD_WAIT:-60}
log=${KUBELAB_DOCKERD_LOG:-/var/log/kubelab-dockerd.log}
if ! touch "$log" 2>/dev/null; then
  log=$(mktemp -t kubelab-dockerd.XXXXXX.log)
fi

docker_answers() { docker info >/dev/null 2>&1; }

server_version() { docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown; }

if command -v docker >/dev/null && docker_answers; then
  echo "docker: engine already running (server $(server_version))"
  exit 0
fi

if ! command -v dockerd >/dev/null; then
  echo "docker: dockerd not found; installing Debian's docker.io"
  install_started=$SECONDS
  # iptables is named because dockerd needs it for bridge networking; the
  # recommends (apparmor, criu, needrestart...) are not needed here.
  apt_install docker.io iptables
  echo "docker: docker.io installed in $((SECONDS - install_started))s"
fi

# Kubelab's service proxy image carries the host's `ip` (iproute2) to hold ClusterIPs.
if ! command -v ip >/dev/null; then
  apt_install iproute2
fi

dockerd_pid=
attempt_started_line=0

start_dockerd() {
  attempt_started_line=$(wc -l <"$log")
  echo "=== $(date -u +%FT%TZ) kubelab: dockerd $* ===" >>"$log"
  # setsid detaches dockerd from the test run's process group, so it outlives
  # this script and keeps serving the suites (and later runs) that follow.
  setsid dockerd "$@" >>"$log" 2>&1 </dev/null &
  dockerd_pid=$!
}

# Waits for the engine; fails early when the dockerd being watched has exited.
wait_for_docker() {
  local deadline=$((SECONDS + wait_seconds))
  while ((SECONDS < deadline)); do
    if docker_answers; then
      return 0
    fi
    if [[ -n $dockerd_pid ]] && ! kill -0 "$dockerd_pid" 2>/dev/null; then
      return 1
    fi
    sleep 1
  done
  docker_answers
}

attempt_log() { tail -n +"$((attempt_started_line + 1))" "$log"; }

stop_dockerd() {
  if [[ -n $dockerd_pid ]] && kill -0 "$dockerd_pid" 2>/dev/null; then
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 1 20); do
      kill -0 "$dockerd_pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$dockerd_pid" 2>/dev/null || true
  fi
  dockerd_pid=
}

running_dockerd_pid() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    echo "$pid"
  fi
}

fail() {
  echo "docker: ERROR: $1" >&2
  echo "docker: last lines of $log:" >&2
  tail -n 40 "$log" >&2 || true
  exit 1
}

started=$SECONDS

existing_pid=$(running_dockerd_pid)
if [[ -n $existing_pid ]]; then
  # A dockerd from an earlier run is still starting (or hung): give it the
  # same grace period rather than racing it with a second daemon.
  echo "docker: dockerd (pid $existing_pid) is running but not answering yet; waiting"
  dockerd_pid=$existing_pid
  wait_for_docker || fail "the running dockerd (pid $existing_pid) did not answer within ${wait_seconds}s"
  echo "docker: engine ready (server $(server_version)) after $((SECONDS - started))s"
  exit 0
fi

echo "docker: starting dockerd (log: $log)"
start_dockerd
if ! wait_for_docker; then
  stop_dockerd
  # Containers and VMs sometimes lack the nf_tables kernel support that
  # Debian's default iptables uses; the legacy backend keeps bridge
  # networking (which pods rely on) working, so it is tried before giving
  # up on iptables altogether.
  if attempt_log | grep -qi 'iptables'; then
    if command -v iptables-legacy >/dev/null && [[ $(readlink -f "$(command -v iptables)") != *legacy* ]]; then
      echo "docker: dockerd failed on iptables (nft); retrying with iptables-legacy"
      update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
      update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null 2>&1 || true
      start_dockerd
    fi
    if [[ -z $dockerd_pid ]] || ! wait_for_docker; then
      stop_dockerd
      echo "docker: WARNING: iptables unusable; starting dockerd with --iptables=false" \
        "(containers still share the docker0 bridge, but get no NAT)" >&2
      start_dockerd --iptables=false --ip-masq=false
      wait_for_docker || fail "dockerd did not come up even with --iptables=false"
    fi
  else
    fail "dockerd did not answer within ${wait_seconds}s"
  fi
fi

echo "docker: engine ready (server $(server_version)) after $((SECONDS - started))s"
