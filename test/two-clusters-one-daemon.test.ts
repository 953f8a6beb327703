import { afterAll, expect, it } from 'vitest';
import { LABELS } from '../core/agent/container-runtime.ts';
import { containersWithLabels } from './support/docker-cli.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { eventually } from './support/eventually.ts';

// Two Kubelabs whose local node is the same Docker daemon. Their node proxies would hold
// the same DNS address on the daemon's one pod network, so the first keeps it; the
// second says why its Services wait, and starts its proxy once the first has stopped.

let first: ServeProcess | undefined;
let second: ServeProcess | undefined;

afterAll(async () => {
  await first?.stop();
  await second?.stop();
}, 120_000);

const runningProxies = () => containersWithLabels({ [LABELS.role]: 'proxy' }, { all: false });

it('the second cluster on a daemon waits for the first one\'s node proxy to go, and says why', async () => {
  first = await startServe(undefined, ['--timings', 'lab']);
  const firstProxy = await eventually(async () => {
    const proxies = await runningProxies();
    return proxies.length === 1 ? proxies[0] : '';
  }, "the first cluster's node proxy", 90_000);

  second = await startServe(undefined, ['--timings', 'lab']);
  await eventually(() => second!.output().includes('another Kubelab cluster runs a node proxy'), 'the second cluster to say why its proxy waits', 90_000);
  expect(await runningProxies()).toEqual([firstProxy]);

  await first.stop();
  first = undefined;
  await eventually(async () => {
    const proxies = await runningProxies();
    return proxies.length === 1 && proxies[0] !== firstProxy;
  }, "the second cluster's node proxy, once the first cluster stopped", 120_000);
}, 360_000);
