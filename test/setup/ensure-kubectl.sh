#!/usr/bin/env bash
# Makes sure a kubectl is on PATH for the kubectl suites. Any kubectl already
# installed is used as is; otherwise Debian's kubernetes-client (kubectl 1.20),
# the only one reachable from the machine's package sources, is installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/setup/apt-install.sh
source "$here/apt-install.sh"

if ! command -v kubectl >/dev/null; then
  echo "kubectl: not found; installing Debian's kubernetes-client"
  started=$SECONDS
  apt_install kubernetes-client
  echo "kubectl: installed in $((SECONDS - started))s"
fi

# `--client` without `--short`/`-o` works on every kubectl from 1.20 to today.
version=$(kubectl version --client 2>/dev/null | head -n 1 || true)
echo "kubectl: $(command -v kubectl) (${version:-version unknown})"
