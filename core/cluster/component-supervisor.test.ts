import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../controllers/workload-test-support.ts';
import { ComponentSupervisor } from './component-supervisor.ts';

// A worker that reports the data it was launched with as its one action, then idles.
const REPORTING_WORKER = new URL(
  `data:text/javascript,${encodeURIComponent(`
    import { parentPort, workerData } from 'node:worker_threads';
    parentPort.postMessage({ type: 'action', action: workerData.identity });
    parentPort.on('message', (m) => { if (m.type === 'stop') process.exit(0); });
    setInterval(() => {}, 1000);
  `)}`,
);

describe('ComponentSupervisor', () => {
  let supervisor: ComponentSupervisor | undefined;
  afterEach(async () => supervisor?.stop());

  it('restarts a terminated copy with fresh launch data, so it comes back under a new identity', async () => {
    supervisor = new ComponentSupervisor(50);
    let launches = 0;
    supervisor.start('controller-manager-1', 'controller-manager', REPORTING_WORKER, () => ({ identity: `run-${++launches}` }));
    const info = () => supervisor!.list()[0];
    await eventually(() => info().recentActions[0], 10_000, 20); // the first run reports
    expect(await supervisor.terminate('controller-manager-1')).toBe(true);
    await eventually(() => info().recentActions[1], 10_000, 20); // the restarted run reports
    expect(info().recentActions.map((a) => a.action)).toEqual(['run-1', 'run-2']);
    expect(info().restarts).toBe(1);
    expect(info().state).toBe('running');
  });

  it('terminating an unknown copy answers false', async () => {
    supervisor = new ComponentSupervisor(50);
    expect(await supervisor.terminate('nobody')).toBe(false);
  });
});
