import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/kube-object.ts';
import { LowdbStore } from './lowdb-store.ts';
import { DATA_FILE_NAME, changeLogFile, encodeSave, listChangeLogs, readStoredData, removeStoredData, type KubelabData } from './stored-data.ts';

// The change logs beside the snapshot: what a save appends, what a restart replays,
// what a kill -9 can leave (a torn last line) and what it cannot (a damaged line
// before acknowledged ones), and compaction.

let dir: string;
let file: string;
const stores: LowdbStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-stored-data-'));
  file = join(dir, DATA_FILE_NAME);
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function openStore(options: { compactAfterBytes?: number } = {}): Promise<LowdbStore> {
  const store = new LowdbStore({ file, ...options });
  stores.push(store);
  await store.open();
  return store;
}

function configMap(name: string, value: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', ...extra }, data: { value } };
}

/** Every object the store holds, by resource and key, as a list shows it. */
async function contents(store: LowdbStore): Promise<Record<string, Record<string, KubeObject>>> {
  const all: Record<string, Record<string, KubeObject>> = {};
  for (const resource of ['configmaps', 'secrets', 'nodes']) {
    for (const item of (await store.list(resource)).items) {
      (all[resource] ??= {})[item.metadata.namespace ? `${item.metadata.namespace}/${item.metadata.name}` : item.metadata.name!] = item;
    }
  }
  return all;
}

/** What readStoredData holds, with the resources a store lists (no empty resource maps). */
function nonEmpty(document: KubelabData | undefined): Record<string, Record<string, KubeObject>> {
  return Object.fromEntries(Object.entries(document?.resources ?? {}).filter(([, objects]) => Object.keys(objects).length > 0));
}

function logNames(): string[] {
  return readdirSync(dir).filter((name) => name.includes('.changes-')).sort();
}

/** A small seeded generator (mulberry32): a failing seed reproduces its sequence. */
function random(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** Random creates, updates, deletes (some marking finalizers) and finalizer removals, some at once. */
async function randomWrites(store: LowdbStore, next: (n: number) => number, count: number): Promise<void> {
  const resources = ['configmaps', 'secrets', 'nodes'];
  const ignoreApiErrors = (write: Promise<unknown>) => write.catch((error: { code?: number }) => {
    if (typeof error?.code !== 'number') throw error;
  });
  for (let i = 0; i < count; ) {
    const together = 1 + next(4); // writes issued in one turn share a save
    const writes: Promise<unknown>[] = [];
    for (let j = 0; j < together && i < count; j++, i++) {
      const resource = resources[next(resources.length)];
      const name = `o${next(6)}`;
      const namespace = resource === 'nodes' ? undefined : 'ns';
      const value = `v${i}`;
      switch (next(5)) {
        case 0:
        case 1:
          writes.push(ignoreApiErrors(store.create(resource, configMap(name, value, { namespace, finalizers: next(3) === 0 ? ['keep'] : undefined }))));
          break;
        case 2:
          writes.push(ignoreApiErrors(store.update(resource, configMap(name, value, { namespace }))));
          break;
        case 3:
          writes.push(ignoreApiErrors(store.delete(resource, namespace ?? '', name)));
          break;
        default: {
          const current = await store.get(resource, namespace ?? '', name);
          if (current) writes.push(ignoreApiErrors(store.update(resource, { ...current, metadata: { ...current.metadata, finalizers: [] } })));
        }
      }
    }
    await Promise.all(writes);
  }
}

describe('change logs', () => {
  it('replaying snapshot and logs gives the state the store held, for random write sequences', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
      rmSync(dir, { recursive: true, force: true });
      const next = random(seed);
      // Some runs compact often (small logs), some never.
      const store = await openStore({ compactAfterBytes: [0, 600, 4000, 1e9][seed % 4] });
      await randomWrites(store, next, 40 + next(40));
      await store.compacted();
      const held = await contents(store);
      const version = store.currentResourceVersion();
      expect(nonEmpty(await readStoredData(dir)), `seed ${seed}`).toEqual(held);
      await store.close();

      const reopened = await openStore();
      expect(await contents(reopened), `seed ${seed}`).toEqual(held);
      expect(reopened.currentResourceVersion(), `seed ${seed}`).toBe(version);
      await reopened.close();
    }
  });

  it('appends one line per save, keeps the snapshot as it was, and makes the logs owner-only', async () => {
    const store = await openStore();
    const snapshot = readFileSync(file, 'utf8');
    await Promise.all([store.create('configmaps', configMap('a', '1')), store.create('configmaps', configMap('b', '1'))]);
    await store.delete('configmaps', 'ns', 'a');
    expect(readFileSync(file, 'utf8')).toBe(snapshot);
    expect(logNames()).toEqual(['kubelab-data.changes-000001.jsonl']);
    const lines = readFileSync(changeLogFile(file, 1), 'utf8').split('\n');
    expect(lines).toHaveLength(3); // two saves and the final newline
    expect(JSON.parse(lines[0])).toMatchObject({ resourceVersion: 2, changes: [{ resource: 'configmaps', key: 'ns/a' }, { resource: 'configmaps', key: 'ns/b' }] });
    expect(JSON.parse(lines[1])).toMatchObject({ resourceVersion: 3, changes: [{ resource: 'configmaps', key: 'ns/a' }] });
    expect(JSON.parse(lines[1]).changes[0].object).toBeUndefined();
    expect(JSON.parse(lines[1]).crc32).toMatch(/^[0-9a-f]{8}$/);
    if (process.platform !== 'win32') expect(statSync(changeLogFile(file, 1)).mode & 0o777).toBe(0o600);
  });

  it('drops a torn last line and keeps everything before it', async () => {
    const store = await openStore();
    for (let i = 0; i < 5; i++) await store.create('configmaps', configMap(`c${i}`, String(i)));
    await store.close();
    const log = changeLogFile(file, 1);
    const whole = readFileSync(log);
    // What a kill -9 in the middle of the next save leaves: part of a line, never acknowledged.
    const next = encodeSave({ resourceVersion: 6, changes: [{ resource: 'configmaps', key: 'ns/torn', object: configMap('torn', 'x') }] });
    appendFileSync(log, next.subarray(0, next.length - 15));

    const reopened = await openStore();
    expect((await reopened.list('configmaps')).items.map((cm) => cm.metadata.name)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(reopened.currentResourceVersion()).toBe('5');
    // The torn part is cut off, so this run's log can follow that one.
    expect(readFileSync(log)).toEqual(whole);
    await reopened.create('configmaps', configMap('after', 'y'));
    await reopened.close();
    const again = await openStore();
    expect((await again.list('configmaps')).items.map((cm) => cm.metadata.name)).toEqual(['after', 'c0', 'c1', 'c2', 'c3', 'c4']);
  });

  it('drops a whole last line whose checksum is wrong (a power cut can leave zeros)', async () => {
    const store = await openStore();
    await store.create('configmaps', configMap('kept', '1'));
    await store.close();
    appendFileSync(changeLogFile(file, 1), Buffer.alloc(40));
    expect(nonEmpty(await readStoredData(dir)).configmaps).toHaveProperty(['ns/kept']);
    const reopened = await openStore();
    expect(await reopened.get('configmaps', 'ns', 'kept')).toBeDefined();
  });

  it('refuses a damaged line before the last one, naming the file and the line, and leaves the files alone', async () => {
    const store = await openStore();
    for (let i = 0; i < 3; i++) await store.create('configmaps', configMap(`c${i}`, 'value'));
    await store.close();
    const log = changeLogFile(file, 1);
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[1] = lines[1].replace('"value"', '"VALUE"'); // one flipped letter: the checksum no longer matches
    writeFileSync(log, lines.join('\n'));
    const damaged = readFileSync(log);

    const message = new RegExp(`^kubelab: cannot read data file ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: line 2 is damaged \\(checksum mismatch\\)`);
    await expect(new LowdbStore({ file }).open()).rejects.toThrow(message);
    await expect(readStoredData(dir)).rejects.toThrow(message);
    expect(readFileSync(log)).toEqual(damaged);
  });

  it('refuses a torn line at the end of a log that later logs follow', async () => {
    const first = await openStore();
    await first.create('configmaps', configMap('a', '1'));
    await first.close();
    const second = await openStore();
    await second.create('configmaps', configMap('b', '1'));
    await second.close();
    appendFileSync(changeLogFile(file, 1), '{"resourceVersion":3,"chan');
    await expect(new LowdbStore({ file }).open()).rejects.toThrow(/kubelab-data\.changes-000001\.jsonl: line 2 is damaged/);
  });

  it('refuses change logs without their snapshot', async () => {
    const store = await openStore();
    await store.create('configmaps', configMap('a', '1'));
    await store.close();
    rmSync(file);
    await expect(new LowdbStore({ file }).open()).rejects.toThrow(/kubelab-data\.json: it is missing, but its change logs are there \(kubelab-data\.changes-000001\.jsonl\)/);
  });

  it('compacts while writes go on: nothing is lost and the old logs go', async () => {
    const store = await openStore({ compactAfterBytes: 3000 });
    const acknowledged: string[] = [];
    const writer = async (id: number) => {
      for (let i = 0; i < 40; i++) {
        const created = await store.create('configmaps', configMap(`w${id}-${i}`, 'x'.repeat(100)));
        acknowledged.push(created.metadata.name!);
        if (i % 3 === 0) await store.update('configmaps', { ...created, data: { value: `updated ${i}` } });
      }
    };
    await Promise.all([writer(1), writer(2), writer(3), writer(4)]);
    await store.compacted();
    expect(store.stats().compactions).toBeGreaterThan(1);
    // Only logs newer than the last snapshot remain.
    const snapshotVersion = JSON.parse(readFileSync(file, 'utf8')).resourceVersion;
    expect(snapshotVersion).toBeGreaterThan(0);
    for (const log of await listChangeLogs(file)) {
      for (const line of readFileSync(log.file, 'utf8').split('\n').filter(Boolean)) {
        expect(JSON.parse(line).resourceVersion).toBeGreaterThan(snapshotVersion);
      }
    }
    expect(logNames().length).toBeLessThanOrEqual(2);
    const held = await contents(store);
    expect(Object.keys(held.configmaps).sort()).toEqual(acknowledged.map((name) => `ns/${name}`).sort());
    expect(nonEmpty(await readStoredData(dir))).toEqual(held);
    await store.close();
    const reopened = await openStore();
    expect(await contents(reopened)).toEqual(held);
  });

  it('loads correctly after a crash between the snapshot rename and the log removal, applying nothing twice', async () => {
    const first = await openStore();
    await first.create('configmaps', configMap('gone', '1'));
    await first.create('configmaps', configMap('kept', '1'));
    await first.delete('configmaps', 'ns', 'gone');
    await first.close();
    const oldLog = changeLogFile(file, 1);
    copyFileSync(oldLog, join(dir, 'old-log'));

    // A compaction that completes: the snapshot holds everything, log 1 and log 2 are removed.
    const second = await openStore({ compactAfterBytes: 0 });
    await second.update('configmaps', configMap('kept', '2'));
    await second.compacted();
    expect(second.stats().compactions).toBe(1);
    const held = await contents(second);
    await second.close();
    expect(logNames()).toEqual([]);
    // The crash: the snapshot was renamed into place, the old log never removed.
    copyFileSync(join(dir, 'old-log'), oldLog);
    rmSync(join(dir, 'old-log'));
    expect(nonEmpty(await readStoredData(dir))).toEqual(held);

    const third = await openStore();
    expect(await contents(third)).toEqual(held);
    expect(third.stats().replayedSaves).toBe(0);
    expect(third.currentResourceVersion()).toBe('4');
    // The stale log, which the snapshot holds, is removed at open.
    expect(logNames()).toEqual([]);
    expect((await third.create('configmaps', configMap('new', '1'))).metadata.resourceVersion).toBe('5');
  });

  it('replays only the saves newer than the snapshot when a log it holds is left beside newer ones', async () => {
    const first = await openStore();
    await first.create('configmaps', configMap('a', '1'));
    await first.update('configmaps', configMap('a', '2'));
    await first.close();
    const atBoundary = await readStoredData(dir); // the state at the end of log 1
    const second = await openStore();
    await second.create('configmaps', configMap('b', '1'));
    await second.delete('configmaps', 'ns', 'a');
    await second.close();
    const held = nonEmpty(await readStoredData(dir));
    // A compaction at the end of log 1 renamed its snapshot into place, then the process died.
    writeFileSync(file, `${JSON.stringify(atBoundary, null, 2)}\n`);
    expect(logNames()).toEqual([basename(changeLogFile(file, 1)), basename(changeLogFile(file, 2))]);
    expect(nonEmpty(await readStoredData(dir))).toEqual(held);

    const third = await openStore();
    expect(third.stats().replayedSaves).toBe(2); // log 2's saves; log 1's are in the snapshot
    expect(await contents(third)).toEqual(held);
    expect(third.currentResourceVersion()).toBe('4');
    expect(logNames()).toEqual([basename(changeLogFile(file, 2))]);
  });
});

describe('readStoredData and removeStoredData', () => {
  it('reads nothing from an empty directory, and removes the logs with the snapshot', async () => {
    expect(await readStoredData(dir)).toBeUndefined();
    const store = await openStore();
    await store.create('configmaps', configMap('a', '1'));
    expect(nonEmpty(await readStoredData(dir))).toEqual(await contents(store));
    await store.close();
    writeFileSync(join(dir, 'token'), 'secret');
    await removeStoredData(dir);
    expect(readdirSync(dir)).toEqual(['token']);
    expect(await readStoredData(dir)).toBeUndefined();
  });
});
