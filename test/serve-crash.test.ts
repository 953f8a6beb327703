import { readFileSync } from 'node:fs';
import { globalAgent } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStoredData } from '../core/store/stored-data.ts';
import { apiRequest, tokenOf } from './support/api-request.ts';
import { eventually } from './support/eventually.ts';
import { startServe } from './support/kubelab-serve.ts';

// Acceptance 4 of the foundation: kill -9 of `kubelab serve` while eight clients
// create objects; after a restart on the same data directory every create that was
// acknowledged is there, and the data file parses. And a restart issued in the same
// instant as the kill -9 of the whole process group starts: the data-directory lock
// is freed by the kernel, not judged by a pid that lingers while the process dies.

/**
 * Blocks this process until `done()` (or the timeout), so that it cannot reap the
 * serve it just killed: that stays a zombie, a pid kill(pid, 0) still finds, while
 * the restart looks at the data directory, as an orphan does whose init reaps late
 * (or never, in a container). Unblocked, Node reaps it within milliseconds, long
 * before a new serve has loaded.
 */
function holdZombieUntil(done: () => boolean, timeoutMs: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) Atomics.wait(cell, 0, 0, 20);
}

/** The pid of the serve that last came up on the data directory (it writes serve-state.json when ready). */
function servePid(dataDir: string): number | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'serve-state.json'), 'utf8')).pid;
  } catch {
    return undefined; // not there, or being written
  }
}

/** A Linux process's state letter (Z: zombie), or undefined when it is gone. */
function processState(pid: number): string | undefined {
  try {
    return /^\d+ \(.*\) (\S)/s.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

describe('kill -9 during writes', () => {
  it('loses no acknowledged create', async () => {
    const first = await startServe();
    const token = tokenOf(first.dataDir);
    const acknowledged: string[] = [];
    let stopped = false;
    const client = async (id: number) => {
      for (let i = 0; !stopped; i++) {
        const name = `c${id}-${i}`;
        try {
          const res = await apiRequest(first.httpUrl, 'POST', '/api/v1/namespaces/default/configmaps', {
            token,
            body: { metadata: { name }, data: { client: String(id), seq: String(i) } },
          });
          if (res.status === 201) acknowledged.push(name);
        } catch {
          return; // the server died mid-request: this create was never acknowledged
        }
      }
    };
    const clients = Array.from({ length: 8 }, (_, id) => client(id));
    // Killed once some creates were acknowledged and more are in flight, however fast the machine writes.
    await eventually(() => acknowledged.length > 8, 'nine acknowledged creates', 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    stopped = true;
    await Promise.all(clients);
    expect(acknowledged.length).toBeGreaterThan(8);

    // The snapshot and its change logs read (a torn last line, never acknowledged, is dropped).
    expect((await readStoredData(first.dataDir))?.kind).toBe('KubelabData');

    const second = await startServe(first.dataDir);
    try {
      const list = await apiRequest(second.httpUrl, 'GET', '/api/v1/namespaces/default/configmaps', { token });
      const names = new Set(list.json().items.map((i: { metadata: { name: string } }) => i.metadata.name));
      const missing = acknowledged.filter((n) => !names.has(n));
      expect(missing).toEqual([]);
    } finally {
      await second.stop();
    }
  });

  it('restarts at once after kill -9 of the whole process group', async () => {
    const first = await startServe(undefined, ['--no-local-node'], { detached: true });
    const token = tokenOf(first.dataDir);
    const acknowledged: string[] = [];
    const create = async (name: string) => {
      const res = await apiRequest(first.httpUrl, 'POST', '/api/v1/namespaces/default/configmaps', { token, body: { metadata: { name }, data: { name } } });
      if (res.status === 201) acknowledged.push(name);
    };
    let second: Awaited<ReturnType<typeof startServe>> | undefined;
    try {
      for (let i = 0; i < 5; i++) await create(`before-kill-${i}`);
      expect(acknowledged).toHaveLength(5);
      // More creates in flight at the kill (it comes with the first answer): whichever of
      // them were acknowledged must survive too.
      const inFlight = Array.from({ length: 8 }, (_, i) => create(`at-kill-${i}`).catch(() => undefined));
      await Promise.race(inFlight);

      const oldPid = first.child.pid!;
      process.kill(-oldPid, 'SIGKILL');
      // In the same tick, without waiting for the exit: the old pid still exists now.
      const starting = startServe(first.dataDir, ['--no-local-node']);
      starting.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
      holdZombieUntil(() => ![undefined, oldPid].includes(servePid(first.dataDir)), 20_000);
      if (process.platform === 'linux') expect(processState(oldPid)).toBe('Z'); // it was still there for the restart to see
      await Promise.all(inFlight);
      expect(await first.exited).toBe('SIGKILL');
      second = await starting;
      // Connections kept alive to the killed serve are dead, and the new one listens on
      // the same port: a request must not be sent on one of them (socket hang up).
      globalAgent.destroy();

      const list = await apiRequest(second.httpUrl, 'GET', '/api/v1/namespaces/default/configmaps', { token });
      expect(list.status).toBe(200);
      const names = new Set(list.json().items.map((i: { metadata: { name: string } }) => i.metadata.name));
      expect(acknowledged.filter((n) => !names.has(n))).toEqual([]);
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) process.kill(-first.child.pid!, 'SIGKILL');
      await first.stop();
      await second?.stop();
    }
  });
});
