#!/usr/bin/env bash
# The long form of test/crash-loop.test.ts: the control plane killed with -9 at random
# moments during rollouts and scaling, 10 times in a row (or $1 times), then the checks
# that it converged and that Docker holds no orphaned or duplicated container.
#
#   bash test/reliability/crash-loop.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bash test/setup/ensure-docker.sh
bash test/setup/ensure-test-image.sh
bash test/setup/ensure-kubectl.sh
KUBELAB_CRASH_ROUNDS=${1:-10} npx vitest run --project integration test/crash-loop.test.ts
