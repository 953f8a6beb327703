import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { ChangeLogWriter } from './change-log.ts';
import { LowdbStore } from './lowdb-store.ts';
import type { WatchEvent } from './store.ts';
import { changeLogFile, readStoredData } from './stored-data.ts';
import { storedDataSync } from './stored-data-test-support.ts';
import { eventually } from '../../test/support/eventually.ts';

let dir: string;
let file: string;
let clock: Date;
const stores: LowdbStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-store-'));
  file = join(dir, 'kubelab-data.json');
  clock = new Date('2024-05-01T12:00:00.750Z');
});

afterEach(async () => {
  heldSaves?.passAll();
  heldSaves = undefined;
  vi.restoreAllMocks();
  await Promise.all(stores.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function openStore(options: { historySize?: number; compactAfterBytes?: number; file?: string } = {}): Promise<LowdbStore> {
  const store = new LowdbStore({ file, now: () => clock, ...options });
  stores.push(store);
  await store.open();
  return store;
}

function pod(name: string, namespace = 'default', extra: Partial<KubeObject> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, uid: `uid-${name}` }, spec: { containers: [{ name: 'c', image: 'nginx' }] }, ...extra };
}

function node(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name } };
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the promise to reject');
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** What is on disk right now (snapshot and change logs), read synchronously. */
function readDocument(): any {
  return storedDataSync(file);
}

describe('LowdbStore CRUD', () => {
  it('creates with the next global resourceVersion and reads it back', async () => {
    const store = await openStore();
    const a = await store.create('pods', pod('a'));
    const b = await store.create('deployments.apps', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' } });
    expect(a.metadata.resourceVersion).toBe('1');
    expect(b.metadata.resourceVersion).toBe('2');
    expect(store.currentResourceVersion()).toBe('2');
    expect(await store.get('pods', 'default', 'a')).toEqual(a);
    expect(await store.get('pods', 'other', 'a')).toBeUndefined();
    expect(await store.get('nodes', '', 'a')).toBeUndefined();
  });

  it('refuses a taken key with AlreadyExists naming the group', async () => {
    const store = await openStore();
    await store.create('deployments.apps', { metadata: { name: 'web', namespace: 'default' } });
    const error = await rejection(store.create('deployments.apps', { metadata: { name: 'web', namespace: 'default' } }));
    expect(error.code).toBe(409);
    expect(error.reason).toBe('AlreadyExists');
    expect(error.message).toBe('deployments.apps "web" already exists');
    expect(error.details).toMatchObject({ group: 'apps', kind: 'deployments', name: 'web' });
  });

  it('updates with a matching or empty resourceVersion, Conflict on a stale one, NotFound when absent', async () => {
    const store = await openStore();
    const created = await store.create('pods', pod('a'));
    const updated = await store.update('pods', { ...created, spec: { nodeName: 'n1' } });
    expect(updated.metadata.resourceVersion).toBe('2');

    const stale = await rejection(store.update('pods', created));
    expect(stale.reason).toBe('Conflict');
    expect(stale.message).toBe(
      'Operation cannot be fulfilled on pods "a": the object has been modified; please apply your changes to the latest version and try again',
    );

    const unconditional = await store.update('pods', { ...pod('a'), metadata: { ...pod('a').metadata, resourceVersion: '' } });
    expect(unconditional.metadata.resourceVersion).toBe('3');

    const missing = await rejection(store.update('pods', pod('nope')));
    expect(missing.code).toBe(404);
    expect(missing.message).toBe('pods "nope" not found');
  });

  it('deletes an object without finalizers: DELETED carries the deletion resourceVersion', async () => {
    const store = await openStore();
    await store.create('pods', pod('a'));
    const events: WatchEvent[] = [];
    store.watch('pods', {}, (e) => events.push(e));
    const result = await store.delete('pods', 'default', 'a');
    expect(result.removed).toBe(true);
    expect(result.object.metadata.resourceVersion).toBe('2');
    expect(await store.get('pods', 'default', 'a')).toBeUndefined();
    expect(events.map((e) => [e.type, e.object.metadata.resourceVersion])).toEqual([['DELETED', '2']]);
    expect((await rejection(store.delete('pods', 'default', 'a'))).code).toBe(404);
  });

  it('checks delete preconditions with Kubernetes wording', async () => {
    const store = await openStore();
    await store.create('pods', pod('a'));
    const uid = await rejection(store.delete('pods', 'default', 'a', { preconditions: { uid: 'other' } }));
    expect(uid.reason).toBe('Conflict');
    expect(uid.message).toBe('Operation cannot be fulfilled on pods "a": Precondition failed: UID in precondition: other, UID in object meta: uid-a');
    const rv = await rejection(store.delete('pods', 'default', 'a', { preconditions: { resourceVersion: '7' } }));
    expect(rv.message).toContain('Precondition failed: ResourceVersion in precondition: 7, ResourceVersion in object meta: 1');
    expect(await store.get('pods', 'default', 'a')).toBeDefined();
    const ok = await store.delete('pods', 'default', 'a', { preconditions: { uid: 'uid-a', resourceVersion: '1' } });
    expect(ok.removed).toBe(true);
  });
});

describe('LowdbStore finalizers and graceful deletion', () => {
  it('marks an object with finalizers, then removes it when the last finalizer goes', async () => {
    const store = await openStore();
    await store.create('pods', pod('a', 'default', { metadata: { name: 'a', namespace: 'default', finalizers: ['example.com/guard'] } }));
    const events: WatchEvent[] = [];
    store.watch('pods', {}, (e) => events.push(e));

    const marked = await store.delete('pods', 'default', 'a');
    expect(marked.removed).toBe(false);
    expect(marked.object.metadata.deletionTimestamp).toBe('2024-05-01T12:00:00Z');
    expect(marked.object.metadata.deletionGracePeriodSeconds).toBe(0);

    // Deleting again changes nothing and writes nothing.
    clock = new Date('2024-05-01T12:05:00Z');
    const again = await store.delete('pods', 'default', 'a');
    expect(again.removed).toBe(false);
    expect(again.object.metadata.deletionTimestamp).toBe('2024-05-01T12:00:00Z');
    expect(store.currentResourceVersion()).toBe('2');

    const current = (await store.get('pods', 'default', 'a'))!;
    const removed = await store.update('pods', { ...current, metadata: { ...current.metadata, finalizers: [] } });
    expect(removed.metadata.resourceVersion).toBe('3');
    expect(await store.get('pods', 'default', 'a')).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
  });

  it('keeps an object that still has finalizers after an update', async () => {
    const store = await openStore();
    await store.create('pods', pod('a', 'default', { metadata: { name: 'a', namespace: 'default', finalizers: ['x', 'y'] } }));
    const marked = (await store.delete('pods', 'default', 'a')).object;
    await store.update('pods', { ...marked, metadata: { ...marked.metadata, finalizers: ['y'] } });
    expect((await store.get('pods', 'default', 'a'))?.metadata.finalizers).toEqual(['y']);
  });

  it('graceful deletion marks with now + grace, only shortens, and a later delete with 0 removes', async () => {
    const store = await openStore();
    await store.create('pods', pod('a'));
    const first = await store.delete('pods', 'default', 'a', { gracePeriodSeconds: 30 });
    expect(first.removed).toBe(false);
    expect(first.object.metadata.deletionTimestamp).toBe('2024-05-01T12:00:30Z');
    expect(first.object.metadata.deletionGracePeriodSeconds).toBe(30);

    // A longer grace period does not extend the wait.
    const longer = await store.delete('pods', 'default', 'a', { gracePeriodSeconds: 60 });
    expect(longer.object.metadata.deletionTimestamp).toBe('2024-05-01T12:00:30Z');
    expect(longer.object.metadata.deletionGracePeriodSeconds).toBe(30);

    // A status update during the grace period does not remove the pod.
    const during = (await store.get('pods', 'default', 'a'))!;
    await store.update('pods', { ...during, status: { phase: 'Running' } });
    expect(await store.get('pods', 'default', 'a')).toBeDefined();

    const shorter = await store.delete('pods', 'default', 'a', { gracePeriodSeconds: 10 });
    expect(shorter.object.metadata.deletionTimestamp).toBe('2024-05-01T12:00:10Z');
    expect(shorter.object.metadata.deletionGracePeriodSeconds).toBe(10);

    const gone = await store.delete('pods', 'default', 'a', { gracePeriodSeconds: 0 });
    expect(gone.removed).toBe(true);
    expect(await store.get('pods', 'default', 'a')).toBeUndefined();
  });
});

describe('LowdbStore list', () => {
  it('sorts by namespace then name and filters by namespace and callback', async () => {
    const store = await openStore();
    for (const [ns, name] of [['b', 'x'], ['a-b', 'y'], ['a', 'z'], ['a', 'b'], ['b', 'a']]) await store.create('pods', pod(name, ns));
    const all = await store.list('pods');
    expect(all.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['a/b', 'a/z', 'a-b/y', 'b/a', 'b/x']);
    expect(all.resourceVersion).toBe('5');
    expect((await store.list('pods', { namespace: 'a' })).items.map((p) => p.metadata.name)).toEqual(['b', 'z']);
    expect((await store.list('pods', { namespace: 'zzz' })).items).toEqual([]);
    expect((await store.list('pods', { filter: (p) => p.metadata.name! > 'm' })).items.map((p) => p.metadata.name)).toEqual(['z', 'y', 'x']);
    expect((await store.list('services')).items).toEqual([]);
  });

  it('pages with limit and continue, counting what remains', async () => {
    const store = await openStore();
    for (let i = 0; i < 7; i++) await store.create('nodes', node(`n${i}`));
    const first = await store.list('nodes', { limit: 3 });
    expect(first.items.map((n) => n.metadata.name)).toEqual(['n0', 'n1', 'n2']);
    expect(first.remainingItemCount).toBe(4);
    expect(first.continue).toMatch(/^[A-Za-z0-9_-]+$/);

    await store.create('nodes', node('n9'));
    const second = await store.list('nodes', { limit: 3, continue: first.continue });
    expect(second.items.map((n) => n.metadata.name)).toEqual(['n3', 'n4', 'n5']);
    expect(second.resourceVersion).toBe(first.resourceVersion);
    expect(second.remainingItemCount).toBe(2);
    const third = await store.list('nodes', { limit: 3, continue: second.continue });
    expect(third.items.map((n) => n.metadata.name)).toEqual(['n6', 'n9']);
    expect(third.continue).toBeUndefined();
    expect(third.remainingItemCount).toBeUndefined();
  });

  it('pages a filtered, namespaced list without a count', async () => {
    const store = await openStore();
    for (let i = 0; i < 6; i++) await store.create('pods', pod(`p${i}`, i % 2 ? 'odd' : 'even'));
    const page = await store.list('pods', { namespace: 'even', limit: 1, filter: (p) => p.metadata.name !== 'p0' });
    expect(page.items.map((p) => p.metadata.name)).toEqual(['p2']);
    expect(page.remainingItemCount).toBeUndefined();
    const rest = await store.list('pods', { namespace: 'even', limit: 5, continue: page.continue });
    expect(rest.items.map((p) => p.metadata.name)).toEqual(['p4']);
  });

  it('rejects an undecodable continue token with 400', async () => {
    const store = await openStore();
    expect((await rejection(store.list('pods', { continue: 'not a token!' }))).code).toBe(400);
    const notJson = Buffer.from('hello').toString('base64url');
    expect((await rejection(store.list('pods', { continue: notJson }))).reason).toBe('BadRequest');
  });
});

describe('LowdbStore isolation', () => {
  it('copies objects in and out so callers cannot change stored state', async () => {
    const store = await openStore();
    const input = pod('a');
    const created = await store.create('pods', input);
    (input.spec as any).containers[0].image = 'changed-after-create';
    (created.spec as any).containers[0].image = 'changed-result';
    const read = (await store.get('pods', 'default', 'a'))!;
    (read.spec as any).containers[0].image = 'changed-read';
    const listed = (await store.list('pods')).items[0];
    expect((listed.spec as any).containers[0].image).toBe('nginx');
    listed.metadata.name = 'mutated';
    store.watch('pods', {}, (e) => {
      (e.object.spec as any).containers[0].image = 'changed-by-watcher';
    });
    const seen: string[] = [];
    store.watch('pods', {}, (e) => seen.push((e.object.spec as any).containers[0].image));
    await store.update('pods', read);
    expect(seen).toEqual(['changed-read']);
    expect(((await store.get('pods', 'default', 'a'))!.spec as any).containers[0].image).toBe('changed-read');
    expect(input.metadata.resourceVersion).toBeUndefined();
  });
});

describe('LowdbStore durability', () => {
  it('writes a readable snapshot with stable order when it compacts, and reloads it', async () => {
    // Compacting after every save: once a save's compaction is done, the snapshot holds it.
    const store = await openStore({ compactAfterBytes: 0 });
    const saved = async (write: Promise<unknown>) => {
      await write;
      await store.compacted();
    };
    await saved(store.create('pods', pod('b', 'ns1')));
    await saved(store.create('pods', pod('a', 'ns1')));
    await saved(store.create('nodes', node('n1')));
    await saved(store.create('deployments.apps', { metadata: { name: 'web', namespace: 'ns1' } }));
    await saved(store.delete('nodes', '', 'n1'));
    expect(store.stats().compactions).toBe(5);
    const text = readFileSync(file, 'utf8');
    const doc = JSON.parse(text);
    expect(text).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(doc).toMatchObject({ kind: 'KubelabData', version: 1, resourceVersion: 5 });
    expect(Object.keys(doc.resources)).toEqual(['deployments.apps', 'pods']);
    expect(Object.keys(doc.resources.pods)).toEqual(['ns1/a', 'ns1/b']);
    expect(doc.resources.pods['ns1/a'].metadata.resourceVersion).toBe('2');
    expect(await readStoredData(dir)).toEqual(doc);
    await store.close();

    const reopened = await openStore();
    expect(reopened.currentResourceVersion()).toBe('5');
    expect((await reopened.list('pods')).items.map((p) => p.metadata.name)).toEqual(['a', 'b']);
    const next = await reopened.create('pods', pod('c', 'ns1'));
    expect(next.metadata.resourceVersion).toBe('6');
  });

  it('creates the data file at open and writes an empty document readably', async () => {
    await openStore();
    expect(readFileSync(file, 'utf8')).toBe('{\n  "kind": "KubelabData",\n  "version": 1,\n  "resourceVersion": 0,\n  "resources": {}\n}\n');
  });

  it('resolves a write only once it is in the file, and sends its event only then', async () => {
    const store = await openStore();
    const onDiskAtEvent: boolean[] = [];
    store.watch('pods', {}, (e) => onDiskAtEvent.push(`default/${e.object.metadata.name}` in (readDocument().resources.pods ?? {})));
    const writes = Array.from({ length: 20 }, (_, i) => store.create('pods', pod(`p${i}`)).then((obj) => {
      expect(readDocument().resources.pods[`default/${obj.metadata.name}`].metadata.resourceVersion).toBe(obj.metadata.resourceVersion);
    }));
    await Promise.all(writes);
    expect(onDiskAtEvent).toHaveLength(20);
    expect(onDiskAtEvent.every(Boolean)).toBe(true);
  });

  it('batches concurrent writes into one save (group commit) and delivers events in order', async () => {
    const store = await openStore();
    const resourceVersions: number[] = [];
    store.watch('configmaps', {}, (e) => resourceVersions.push(Number(e.object.metadata.resourceVersion)));
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.create('configmaps', { metadata: { name: `c${i}`, namespace: 'x' } })));
    expect(store.stats().flushes).toBe(1);
    expect(store.stats().writes).toBe(100);
    expect(resourceVersions).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('rejects the writes of a failed save with 500, then refuses writes with 503', async () => {
    const first = await openStore();
    await first.create('pods', pod('kept'));
    await first.close();
    const store = await openStore();
    const before = readDocument();
    // A directory where this run's change log should go makes the save fail like a broken disk.
    mkdirSync(changeLogFile(file, 2));
    const events: WatchEvent[] = [];
    store.watch('pods', {}, (e) => events.push(e));

    const failed = await rejection(store.create('pods', pod('lost')));
    expect(failed.code).toBe(500);
    expect(failed.message).toContain('this write was not acknowledged');
    expect(store.healthy()).toBe(false);
    expect(store.failure()).toMatch(/EISDIR|directory/);
    const refused = await rejection(store.create('pods', pod('later')));
    expect(refused.code).toBe(503);
    expect(refused.reason).toBe('ServiceUnavailable');
    expect(events).toEqual([]);
    rmSync(changeLogFile(file, 2), { recursive: true });
    expect(readDocument()).toEqual(before);
    expect(store.currentResourceVersion()).toBe('1');
  });
});

describe('LowdbStore watch', () => {
  it('replays from a resourceVersion, then goes live, filtered by resource and namespace', async () => {
    const store = await openStore();
    await store.create('pods', pod('a', 'x'));
    await store.create('pods', pod('b', 'y'));
    await store.create('nodes', node('n'));
    await store.create('pods', pod('c', 'x'));
    const seen: string[] = [];
    store.watch('pods', { namespace: 'x', resourceVersion: '1' }, (e) => seen.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`));
    await store.create('pods', pod('d', 'x'));
    await store.create('pods', pod('e', 'y'));
    await tick();
    expect(seen).toEqual(['ADDED c 4', 'ADDED d 5']);
  });

  it('is 410 Gone when the history no longer reaches back, with Kubernetes wording', async () => {
    const store = await openStore({ historySize: 3 });
    for (let i = 0; i < 6; i++) await store.create('pods', pod(`p${i}`));
    // History holds rv 4..6: watching from 3 works, from 2 does not.
    expect(() => store.watch('pods', { resourceVersion: '3' }, () => {})).not.toThrow();
    let error: unknown;
    try {
      store.watch('pods', { resourceVersion: '2' }, () => {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(410);
    expect((error as ApiError).reason).toBe('Expired');
    expect((error as ApiError).message).toBe('too old resource version: 2 (3)');
  });

  it('after a restart only the current resourceVersion (or later) can be watched', async () => {
    const first = await openStore();
    for (let i = 0; i < 3; i++) await first.create('pods', pod(`p${i}`));
    await first.close();
    const store = await openStore();
    expect(() => store.watch('pods', { resourceVersion: '2' }, () => {})).toThrow('too old resource version: 2 (3)');
    const seen: string[] = [];
    store.watch('pods', { resourceVersion: '3' }, (e) => seen.push(e.object.metadata.name!));
    store.watch('pods', { resourceVersion: '99' }, (e) => seen.push(`late ${e.object.metadata.name}`));
    await store.create('pods', pod('next'));
    expect(seen).toEqual(['next']);
  });

  it('rejects a resourceVersion that is not a number with 400', async () => {
    const store = await openStore();
    expect(() => store.watch('pods', { resourceVersion: 'abc' }, () => {})).toThrow(/invalid resource version/);
  });

  it('keeps delivering to other watchers when one throws, and stop() is idempotent', async () => {
    const store = await openStore();
    const errors: string[] = [];
    const originalError = console.error;
    console.error = (...args: unknown[]) => errors.push(String(args[0]));
    try {
      store.watch('pods', {}, () => {
        throw new Error('boom');
      });
      const seen: string[] = [];
      const watch = store.watch('pods', {}, (e) => seen.push(e.object.metadata.name!));
      await store.create('pods', pod('a'));
      watch.stop();
      watch.stop();
      await store.create('pods', pod('b'));
      expect(seen).toEqual(['a']);
      expect(errors.length).toBe(2);
    } finally {
      console.error = originalError;
    }
  });
});

describe('LowdbStore data file problems', () => {
  it('refuses a corrupt file with a message naming it, and leaves it untouched', async () => {
    const corrupt = '{ "kind": "KubelabData", "version": 1, "resources": { oops';
    writeFileSync(file, corrupt);
    const store = new LowdbStore({ file });
    await expect(store.open()).rejects.toThrow(
      new RegExp(`^kubelab: cannot read data file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+\\. The file was left untouched; move it aside or restore a backup, then start again\\.$`),
    );
    expect(readFileSync(file, 'utf8')).toBe(corrupt);
    expect((await rejection(store.create('pods', pod('a')))).code).toBe(503);
    expect(readFileSync(file, 'utf8')).toBe(corrupt);
  });

  it('refuses a JSON file that is not a Kubelab document', async () => {
    writeFileSync(file, '{"hello": "world"}');
    await expect(new LowdbStore({ file }).open()).rejects.toThrow(/not a Kubelab data file/);
    expect(readFileSync(file, 'utf8')).toBe('{"hello": "world"}');
  });

  it('removes temp files left by a writer that died, keeps the data', async () => {
    const store = await openStore();
    await store.create('pods', pod('a'));
    await store.close();
    const stale = `${file}.tmp-999999`;
    writeFileSync(stale, '{ "half": ');
    const reopened = await openStore();
    expect(existsSync(stale)).toBe(false);
    expect(await reopened.get('pods', 'default', 'a')).toBeDefined();
  });
});

describe('LowdbStore at scale', () => {
  it('lists 10,000 objects sorted, and pages through them', async () => {
    const store = await openStore();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 10_000; i++) writes.push(store.create('configmaps', { metadata: { name: `cm-${String(9999 - i).padStart(5, '0')}`, namespace: `ns${i % 10}` }, data: { i: String(i) } }));
    await Promise.all(writes);
    const all = await store.list('configmaps');
    expect(all.items).toHaveLength(10_000);
    expect(all.items[0].metadata).toMatchObject({ namespace: 'ns0', name: 'cm-00009' });
    let pages = 0;
    let count = 0;
    let token: string | undefined;
    do {
      const page = await store.list('configmaps', { namespace: 'ns3', limit: 250, continue: token });
      count += page.items.length;
      token = page.continue;
      pages++;
    } while (token);
    expect(count).toBe(1000);
    expect(pages).toBe(4);
  });
});

/**
 * Holds every save (change log append) until the test lets it go: `release()` lets the
 * oldest held save go on to disk, `fail()` makes it fail like a broken disk, `passAll()`
 * stops holding. One flusher means at most one save is held at a time.
 */
const append = ChangeLogWriter.prototype.append;

function holdSaves() {
  heldSaves?.passAll();
  const held: ((outcome: 'save' | 'fail') => void)[] = [];
  let holding = true;
  vi.spyOn(ChangeLogWriter.prototype, 'append').mockImplementation(async function (this: ChangeLogWriter, save) {
    const outcome = holding ? await new Promise<'save' | 'fail'>((resolve) => held.push(resolve)) : 'save';
    if (outcome === 'fail') throw new Error('EIO: i/o error, write');
    return append.call(this, save);
  });
  heldSaves = {
    held: () => held.length,
    release: () => held.shift()?.('save'),
    fail: () => held.shift()?.('fail'),
    passAll: () => {
      holding = false;
      for (const go of held.splice(0)) go('save');
    },
  };
  return heldSaves;
}

let heldSaves: { held(): number; release(): void; fail(): void; passAll(): void } | undefined;

/** Polls until `condition` holds (a save on a real disk takes a while), every millisecond, failing after 10 s. */
const until = (condition: () => boolean, what: string) => eventually(condition, what, 10_000, 1);

const untilHeld = (saves: { held(): number }) => until(() => saves.held() > 0, 'a save to be held');

/** Settles with its outcome, so a test can look at a promise without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

const names = (list: { items: KubeObject[] }) => list.items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`);

describe('LowdbStore reads show only durable writes', () => {
  it('a list during a save does not show its writes; a get of a written object waits for the save', async () => {
    const store = await openStore();
    const a = await store.create('pods', pod('a'));
    const saves = holdSaves();
    const update = track(store.update('pods', { ...a, spec: { nodeName: 'n1' } }));
    const create = track(store.create('pods', pod('b')));
    await untilHeld(saves);

    // Writes check the latest state: b is taken, a's resourceVersion 1 is stale.
    expect((await rejection(store.create('pods', pod('b')))).reason).toBe('AlreadyExists');
    expect((await rejection(store.update('pods', a))).reason).toBe('Conflict');
    // Reads see the durable state.
    const list = await store.list('pods');
    expect(names(list)).toEqual(['a@1']);
    expect(list.resourceVersion).toBe('1');
    expect(store.currentResourceVersion()).toBe('1');
    expect(await store.get('pods', 'default', 'nope')).toBeUndefined();
    const getA = track(store.get('pods', 'default', 'a'));
    const getB = track(store.get('pods', 'default', 'b'));
    for (let i = 0; i < 5; i++) await tick();
    expect([getA.settled, getB.settled, update.settled, create.settled]).toEqual([false, false, false, false]);

    saves.release();
    const b = await store.get('pods', 'default', 'b');
    // Answered only once the write it shows is acknowledged.
    expect(create.settled && update.settled).toBe(true);
    expect(b?.metadata.resourceVersion).toBe('3');
    await tick();
    expect(getA.value?.metadata.resourceVersion).toBe('2');
    expect(names(await store.list('pods'))).toEqual(['a@2', 'b@3']);
  });

  it('a delete that is not durable yet still shows the object, and its key can be taken again', async () => {
    const store = await openStore();
    await store.create('pods', pod('a'));
    await store.create('pods', pod('b'));
    const saves = holdSaves();
    const removed = track(store.delete('pods', 'default', 'a'));
    await untilHeld(saves);

    expect(names(await store.list('pods'))).toEqual(['a@1', 'b@2']);
    expect((await store.list('pods', { limit: 1 })).remainingItemCount).toBe(1);
    expect((await rejection(store.delete('pods', 'default', 'a'))).code).toBe(404);
    const again = track(store.create('pods', pod('a')));
    const get = track(store.get('pods', 'default', 'a'));
    await tick();
    expect(get.settled).toBe(false);

    saves.release(); // the delete
    await untilHeld(saves); // the new create
    expect(removed.settled).toBe(true);
    expect(names(await store.list('pods'))).toEqual(['b@2']);
    expect(store.stats().objects).toBe(1);
    saves.release();
    await expect(store.get('pods', 'default', 'a')).resolves.toMatchObject({ metadata: { resourceVersion: '4' } });
    expect(again.value?.metadata.resourceVersion).toBe('4');
    expect(get.value?.metadata.resourceVersion).toBe('4');
    expect(names(await store.list('pods'))).toEqual(['a@4', 'b@2']);
  });

  it('the writes of a failed save are never seen by get or list', async () => {
    const store = await openStore();
    const kept = await store.create('pods', pod('kept'));
    const saves = holdSaves();
    const update = store.update('pods', { ...kept, spec: { nodeName: 'lost' } });
    const create = store.create('pods', pod('lost'));
    const removal = store.delete('pods', 'default', 'kept');
    await untilHeld(saves);
    const getLost = store.get('pods', 'default', 'lost');
    const getKept = store.get('pods', 'default', 'kept');

    saves.fail();
    for (const write of [update, create, removal]) expect((await rejection(write)).code).toBe(500);
    expect(await getLost).toBeUndefined();
    expect(await getKept).toEqual(kept);
    expect(await store.get('pods', 'default', 'kept')).toEqual(kept);
    const list = await store.list('pods');
    expect(names(list)).toEqual(['kept@1']);
    expect(list.resourceVersion).toBe('1');
    expect(store.currentResourceVersion()).toBe('1');
    expect((await rejection(store.create('pods', pod('later')))).code).toBe(503);
  });

  it('a list resourceVersion taken during saves, then a watch from it, sees every later write exactly once', async () => {
    const store = await openStore();
    const saves = holdSaves();
    const writes: Promise<unknown>[] = [];
    const write = async (i: number) => {
      const name = `p${i % 4}`;
      const current = await store.get('pods', 'default', name);
      return current ? (i % 3 ? store.update('pods', { ...current, status: { i } }) : store.delete('pods', 'default', name)) : store.create('pods', pod(name));
    };
    for (let i = 0; i < 6; i++) writes.push(write(i).catch(() => undefined)); // some lose races (AlreadyExists, NotFound)
    await untilHeld(saves);
    for (let i = 6; i < 9; i++) writes.push(store.create('pods', pod(`q${i}`)));
    saves.release();
    await untilHeld(saves);

    const list = await store.list('pods');
    // Taken while a save is held: the last durable resourceVersion, and nothing newer in it.
    expect(list.resourceVersion).toBe(store.currentResourceVersion());
    for (const o of list.items) expect(Number(o.metadata.resourceVersion)).toBeLessThanOrEqual(Number(list.resourceVersion));
    const seen = new Map(list.items.map((o) => [o.metadata.name!, o.metadata.resourceVersion!]));
    const events: WatchEvent[] = [];
    store.watch('pods', { resourceVersion: list.resourceVersion }, (e) => events.push(e));
    for (let i = 9; i < 20; i++) writes.push(write(i).catch(() => undefined));
    saves.passAll();
    await Promise.allSettled(writes);
    await tick();

    const versions = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(versions[0]).toBe(Number(list.resourceVersion) + 1);
    expect(versions).toEqual(versions.map((_, i) => versions[0] + i)); // each once, none missed
    for (const e of events) {
      if (e.type === 'DELETED') seen.delete(e.object.metadata.name!);
      else seen.set(e.object.metadata.name!, e.object.metadata.resourceVersion!);
    }
    const final = await store.list('pods');
    expect(new Map(final.items.map((o) => [o.metadata.name!, o.metadata.resourceVersion!]))).toEqual(seen);
    expect(final.resourceVersion).toBe(String(versions.at(-1)));
  });

  it('a compaction snapshots the state at the end of its save, not writes applied after it', async () => {
    const store = await openStore({ compactAfterBytes: 0 });
    const saves = holdSaves();
    const first = store.create('pods', pod('a'));
    await untilHeld(saves);
    const second = store.create('pods', pod('b'));
    saves.release();
    await first;
    await untilHeld(saves); // b's save, held while the snapshot of a's is written
    const snapshot = () => JSON.parse(readFileSync(file, 'utf8'));
    await until(() => snapshot().resourceVersion !== 0, 'the compaction');
    expect(snapshot()).toMatchObject({ resourceVersion: 1, resources: { pods: { 'default/a': { metadata: { resourceVersion: '1' } } } } });
    expect(Object.keys(snapshot().resources.pods)).toEqual(['default/a']);
    saves.passAll();
    await second;
    await store.close();
    const reopened = await openStore();
    expect(names(await reopened.list('pods'))).toEqual(['a@1', 'b@2']);
  });
});

describe('LowdbStore reads under random interleavings (property)', () => {
  type Step =
    | { op: 'create' | 'update' | 'delete'; name: string }
    | { op: 'list' | 'get'; name: string }
    | { op: 'save' | 'fail' | 'tick' };
  const name = fc.constantFrom('a', 'b', 'c');
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constantFrom('create' as const, 'update' as const, 'delete' as const), name }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('list' as const, 'get' as const), name }) },
    { weight: 4, arbitrary: fc.constant({ op: 'save' as const }) },
    { weight: 2, arbitrary: fc.constant({ op: 'tick' as const }) },
    { weight: 1, arbitrary: fc.constant({ op: 'fail' as const }) },
  );

  it('every read equals the acknowledged state at some moment between its start and its end; writes check the latest state', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const store = await openStore({ file: join(dir, `run-${run++}`, 'kubelab-data.json') });
        const saves = holdSaves();
        // The durable state after each published write, in order (a watcher hears each
        // write as it becomes durable, before its writer does): states[i] after i writes.
        const states: Map<string, string>[] = [new Map()];
        const published = new Set<string>();
        store.watch('configmaps', {}, (e) => {
          published.add(e.object.metadata.resourceVersion!);
          const next = new Map(states.at(-1));
          if (e.type === 'DELETED') next.delete(e.object.metadata.name!);
          else next.set(e.object.metadata.name!, e.object.metadata.resourceVersion!);
          states.push(next);
        });
        const acknowledged = new Set<string>();
        const settled: Promise<unknown>[] = [];
        const problems: string[] = [];
        // What a write will find: the latest applied state, durable or not.
        const latest = new Set<string>();
        let failed = false;

        const expectOutcome = (label: string, promise: Promise<KubeObject>, accepted: boolean) => {
          settled.push(
            promise.then(
              (obj) => {
                if (!accepted) problems.push(`${label} succeeded`);
                acknowledged.add(obj.metadata.resourceVersion!);
              },
              (error: ApiError) => {
                // Accepted writes fail only with their save (500) or after it (503).
                const allowed = accepted ? [500, 503] : failed ? [404, 409, 503] : [404, 409];
                if (!allowed.includes(error.code)) problems.push(`${label} failed with ${error.code}`);
              },
            ),
          );
        };
        const read = (label: string, promise: Promise<Map<string, string>>, pick: (state: Map<string, string>) => Map<string, string>) => {
          const from = states.length - 1;
          settled.push(
            promise.then((seen) => {
              const to = states.length - 1;
              const match = states.slice(from, to + 1).some((state) => equalMaps(pick(state), seen));
              if (!match) problems.push(`${label} saw ${JSON.stringify([...seen])}, not a state between ${from} and ${to}`);
            }),
          );
        };

        for (const [index, s] of steps.entries()) {
          const label = `step ${index} ${s.op}${'name' in s ? ` ${s.name}` : ''}`;
          const obj = 'name' in s ? { metadata: { name: s.name, namespace: 'x' }, data: { step: String(index) } } : undefined;
          if (s.op === 'create') {
            const accepted = !failed && !latest.has(s.name);
            if (accepted) latest.add(s.name);
            expectOutcome(label, store.create('configmaps', obj!), accepted);
          } else if (s.op === 'update') {
            expectOutcome(label, store.update('configmaps', obj!), !failed && latest.has(s.name));
          } else if (s.op === 'delete') {
            const accepted = !failed && latest.has(s.name);
            if (accepted) latest.delete(s.name);
            expectOutcome(label, store.delete('configmaps', 'x', s.name).then((r) => r.object), accepted);
          } else if (s.op === 'list') {
            read(label, store.list('configmaps').then((l) => new Map(l.items.map((o) => [o.metadata.name!, o.metadata.resourceVersion!]))), (state) => state);
          } else if (s.op === 'get') {
            const only = (state: Map<string, string>) => new Map([...state].filter(([key]) => key === s.name));
            read(label, store.get('configmaps', 'x', s.name).then((o) => new Map(o ? [[s.name, o.metadata.resourceVersion!]] : [])), only);
          } else if (s.op === 'save' || s.op === 'fail') {
            if (saves.held() > 0) {
              if (s.op === 'fail') failed = true;
              saves[s.op === 'save' ? 'release' : 'fail']();
              await tick();
            }
          } else {
            await tick();
          }
        }
        saves.passAll();
        await Promise.all(settled);
        await store.close();
        expect(problems).toEqual([]);
        // The watcher heard exactly the acknowledged writes, and the files hold their state.
        expect([...published].sort()).toEqual([...acknowledged].sort());
        const reopened = await openStore({ file: join(dir, `run-${run - 1}`, 'kubelab-data.json') });
        const stored = (await reopened.list('configmaps')).items.map((o) => [o.metadata.name!, o.metadata.resourceVersion!] as const);
        expect(equalMaps(new Map(stored), states.at(-1)!)).toBe(true);
        await reopened.close();
      }),
      { numRuns: 150 },
    );
  });
});

function equalMaps(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}
