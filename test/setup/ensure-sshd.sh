#!/usr/bin/env bash
# Makes sure OpenSSH's server binary is installed: the nodes suite starts its own sshd
# on 127.0.0.1 to test Docker endpoints over ssh:// (it does not touch the system's sshd).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/setup/apt-install.sh
source "$here/apt-install.sh"

if ! command -v sshd >/dev/null && [[ ! -x /usr/sbin/sshd ]]; then
  echo "sshd: not found; installing Debian's openssh-server"
  started=$SECONDS
  apt_install openssh-server
  echo "sshd: installed in $((SECONDS - started))s"
fi
echo "sshd: $(command -v sshd || echo /usr/sbin/sshd)"
