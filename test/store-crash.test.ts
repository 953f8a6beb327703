import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LowdbStore } from '../core/store/lowdb-store.ts';
import { readStoredData } from '../core/store/stored-data.ts';

// Kills a writing LowdbStore with SIGKILL mid-flight, several times, and checks that
// every create it acknowledged survived, that the data file (the snapshot) always
// parses and that the change logs beside it read (at most a torn last line dropped).
// The writer compacts often, so kills land in compactions too.

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const writerScript = fileURLToPath(new URL('./fixtures/store-crash-writer.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kubelab-crash-'));
const file = join(dir, 'kubelab-data.json');
const ROUNDS = 3;
const RUN_MS = 1000;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface WriterRun {
  acknowledged: string[];
}

/** Starts the writer, lets it write for about RUN_MS after it is ready, then SIGKILLs it. */
async function runAndKill(round: number): Promise<WriterRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, file, String(round)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));

  await new Promise<void>((resolve, reject) => {
    const check = () => stdout.includes('ready\n') && resolve();
    child.stdout.on('data', check);
    exited.then((how) => reject(new Error(`writer exited before it was ready (${how}): ${stderr}`)));
  });
  // A little jitter so the kill lands at different points of a save each round.
  await new Promise((resolve) => setTimeout(resolve, RUN_MS + Math.floor(Math.random() * 100)));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');

  // Only complete lines: a name cut short by the kill was not fully reported.
  const lines = stdout.split('\n').slice(0, -1).filter((line) => line !== 'ready');
  return { acknowledged: lines };
}

describe('LowdbStore under SIGKILL', () => {
  it(`keeps every acknowledged create across ${ROUNDS} kills`, async () => {
    const everAcknowledged: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const run = await runAndKill(round);
      everAcknowledged.push(...run.acknowledged);
      console.log(`round ${round}: ${run.acknowledged.length} creates acknowledged before the kill`);
      expect(run.acknowledged.length).toBeGreaterThan(0);

      // The snapshot itself is always one complete document, and with the logs it reads.
      expect(JSON.parse(readFileSync(file, 'utf8')).kind).toBe('KubelabData');
      expect((await readStoredData(dir))?.kind).toBe('KubelabData');

      const store = new LowdbStore({ file });
      await store.open();
      try {
        const stored = new Set((await store.list('configmaps')).items.map((cm) => cm.metadata.name));
        const missing = everAcknowledged.filter((name) => !stored.has(name));
        expect(missing).toEqual([]);
        // resourceVersions keep counting up across restarts.
        expect(Number(store.currentResourceVersion())).toBeGreaterThanOrEqual(stored.size);
      } finally {
        await store.close();
      }
      // Opening cleaned up the temp file the killed writer may have left.
      expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
    }
  });
});
