#!/usr/bin/env bash
# Kubelab's whole test run (`npm test`, and CI through .ci/run): type check,
# prepare the machine (Docker engine, kubectl, test and lab-node images, sshd, and Chromium when
# there are browser suites), then every vitest project. Extra arguments go to
# vitest, e.g. `npm test -- --project unit`.
#
# Every step runs even after an earlier one failed, so one run shows all that
# is wrong; the exit status is non-zero if anything failed. The last line is
# always `tests: N passed, N failed, N skipped`, which CI reads.
#
#   KUBELAB_SKIP_TYPECHECK=1  skip the type checks (quick local runs)
#   KUBELAB_BROWSER_TESTS=0   skip Chromium setup (and so the browser suites' needs)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

report=test-results/vitest.json
failed_steps=()

run_step() {
  local name=$1
  shift
  local started=$SECONDS
  echo "== $name"
  if "$@"; then
    echo "== $name: ok ($((SECONDS - started))s)"
  else
    echo "== $name: FAILED ($((SECONDS - started))s)"
    failed_steps+=("$name")
  fi
}

if [[ ${KUBELAB_SKIP_TYPECHECK:-0} == 1 ]]; then
  echo "== typecheck: skipped (KUBELAB_SKIP_TYPECHECK=1)"
else
  run_step typecheck npx tsc --noEmit -p tsconfig.json
  run_step 'typecheck renderer' npx vue-tsc --noEmit -p renderer/tsconfig.json
  run_step 'typecheck electron' npx tsc --noEmit -p electron/tsconfig.json
fi
# The browser suites and `kubelab serve` use the built GUI; build it once up front.
run_step 'renderer build' npx vite build --logLevel warn

run_step docker bash test/setup/ensure-docker.sh
if [[ " ${failed_steps[*]} " == *" docker "* ]]; then
  echo "== test image: skipped (no Docker engine)"
else
  run_step 'test image' bash test/setup/ensure-test-image.sh
  run_step 'node image' bash test/setup/ensure-node-image.sh
fi
run_step kubectl bash test/setup/ensure-kubectl.sh
run_step sshd bash test/setup/ensure-sshd.sh
if [[ ${KUBELAB_BROWSER_TESTS:-1} != 0 && -d test/e2e ]]; then
  run_step chromium bash test/setup/ensure-chromium.sh
fi

rm -rf test-results
mkdir -p test-results
vitest_started=$SECONDS
echo "== vitest"
npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@"
vitest_status=$?
echo "== vitest: exit $vitest_status ($((SECONDS - vitest_started))s)"
# Every log of every kubelab serve the suite ran, read for the suite's Secret values.
run_step 'secrets in serve logs' npx tsx test/scan-logs-for-secrets.ts

if ((${#failed_steps[@]} > 0)); then
  echo "failed steps outside vitest: ${failed_steps[*]}"
fi
node test/setup/summarize-results.mjs "$report" \
  --extra-failures="${#failed_steps[@]}" --vitest-exit="$vitest_status"

if ((vitest_status != 0 || ${#failed_steps[@]} > 0)); then
  exit 1
fi
