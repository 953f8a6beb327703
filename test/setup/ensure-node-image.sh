#!/usr/bin/env bash
# Makes sure the lab node image (kubelab/node:<VERSION>, Docker-in-Docker on
# Debian's docker.io) is on the local Docker engine, building it offline with
# resources/node-image/build-offline.sh (debootstrap from Debian's mirror; no
# image registry is reachable here). Safe to run again: an image of the current
# recipe is left alone. The first build takes about two minutes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
started=$SECONDS
bash "$root/resources/node-image/build-offline.sh" "$@"
echo "node image: ready after $((SECONDS - started))s"
