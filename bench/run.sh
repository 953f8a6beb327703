#!/usr/bin/env bash
# `npm run bench`: prepares the machine as `npm test` does (Docker engine and dockerd,
# the test and lab-node images, kubectl, Chromium, the built GUI), then runs every
# benchmark through bench/run-all.ts. Arguments go to it: `npm run bench -- --quick`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

npx vite build --logLevel warn
for step in ensure-docker ensure-test-image ensure-node-image ensure-kubectl ensure-chromium; do
  bash "test/setup/$step.sh"
done
exec node --import tsx bench/run-all.ts "$@"
