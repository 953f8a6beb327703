import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.ts';
import type { WatchEvent } from './store.ts';
import { WatchHub } from './watch-hub.ts';

function event(resourceVersion: number, name = `o${resourceVersion}`, resource = 'pods', namespace = 'default'): WatchEvent {
  return { type: 'ADDED', resource, object: { metadata: { name, namespace, resourceVersion: String(resourceVersion) } } };
}

const names = (events: WatchEvent[]) => events.map((e) => e.object.metadata.name);
const microtasks = () => new Promise((resolve) => setImmediate(resolve));

describe('WatchHub', () => {
  it('delivers live events only to watchers of that resource', () => {
    const hub = new WatchHub({ historySize: 10, resourceVersion: 0 });
    const pods: WatchEvent[] = [];
    const nodes: WatchEvent[] = [];
    hub.watch('pods', {}, (e) => pods.push(e));
    hub.watch('nodes', { resourceVersion: '0' }, (e) => nodes.push(e));
    hub.publish(event(1, 'p'));
    hub.publish(event(2, 'n', 'nodes', ''));
    expect(names(pods)).toEqual(['p']);
    expect(names(nodes)).toEqual(['n']);
    expect(hub.watcherCount('pods')).toBe(1);
  });

  it('replays retained events after the given resourceVersion before live ones, in order', async () => {
    const hub = new WatchHub({ historySize: 10, resourceVersion: 0 });
    for (let rv = 1; rv <= 5; rv++) hub.publish(event(rv));
    const seen: WatchEvent[] = [];
    hub.watch('pods', { resourceVersion: '2' }, (e) => seen.push(e));
    // Published before the replay runs: must come after it, not before.
    hub.publish(event(6));
    expect(seen).toEqual([]);
    await microtasks();
    hub.publish(event(7));
    expect(names(seen)).toEqual(['o3', 'o4', 'o5', 'o6', 'o7']);
  });

  it('keeps only historySize events and answers 410 with the oldest watchable resourceVersion', () => {
    const hub = new WatchHub({ historySize: 4, resourceVersion: 100 });
    for (let rv = 101; rv <= 130; rv++) hub.publish(event(rv));
    // Retained: 127..130, so 126 is the oldest start point.
    expect(hub.oldestWatchableResourceVersion()).toBe(126);
    expect(() => hub.watch('pods', { resourceVersion: '126' }, () => {})).not.toThrow();
    let error: unknown;
    try {
      hub.watch('pods', { resourceVersion: '5' }, () => {});
    } catch (e) {
      error = e;
    }
    expect((error as ApiError).code).toBe(410);
    expect((error as ApiError).message).toBe('too old resource version: 5 (126)');
  });

  it('with an empty history accepts the current and later resourceVersions only', async () => {
    const hub = new WatchHub({ historySize: 4, resourceVersion: 50 });
    expect(() => hub.watch('pods', { resourceVersion: '49' }, () => {})).toThrow('too old resource version: 49 (50)');
    const seen: WatchEvent[] = [];
    hub.watch('pods', { resourceVersion: '50' }, (e) => seen.push(e));
    hub.watch('pods', { resourceVersion: '52' }, (e) => seen.push({ ...e, type: 'MODIFIED' }));
    hub.publish(event(51));
    hub.publish(event(52));
    hub.publish(event(53));
    await microtasks();
    expect(seen.map((e) => `${e.type} ${e.object.metadata.resourceVersion}`)).toEqual(['ADDED 51', 'ADDED 52', 'ADDED 53', 'MODIFIED 53']);
  });

  it('filters by namespace during replay and live', async () => {
    const hub = new WatchHub({ historySize: 10, resourceVersion: 0 });
    hub.publish(event(1, 'a', 'pods', 'x'));
    hub.publish(event(2, 'b', 'pods', 'y'));
    const seen: WatchEvent[] = [];
    hub.watch('pods', { namespace: 'x', resourceVersion: '0' }, (e) => seen.push(e));
    hub.watch('pods', { namespace: 'y', resourceVersion: '1' }, (e) => seen.push(e));
    hub.publish(event(3, 'c', 'pods', 'x'));
    await microtasks();
    expect(names(seen)).toEqual(['c', 'b']);
  });

  it('stops cleanly, even in the middle of a replay, and stop() twice is harmless', async () => {
    const hub = new WatchHub({ historySize: 10, resourceVersion: 0 });
    for (let rv = 1; rv <= 3; rv++) hub.publish(event(rv));
    const seen: WatchEvent[] = [];
    const watch = hub.watch('pods', { resourceVersion: '1' }, (e) => {
      seen.push(e);
      watch.stop();
    });
    await microtasks();
    watch.stop();
    hub.publish(event(4));
    expect(names(seen)).toEqual(['o2']);
    expect(hub.watcherCount()).toBe(0);
  });

  it('isolates a throwing watcher and gives every watcher its own copy', () => {
    const failures: unknown[] = [];
    const hub = new WatchHub({ historySize: 10, resourceVersion: 0, onListenerError: (error) => failures.push(error) });
    hub.watch('pods', {}, (e) => {
      e.object.metadata.name = 'changed';
      throw new Error('boom');
    });
    const seen: WatchEvent[] = [];
    hub.watch('pods', {}, (e) => seen.push(e));
    const published = event(1, 'orig');
    hub.publish(published);
    expect(names(seen)).toEqual(['orig']);
    expect(published.object.metadata.name).toBe('orig');
    expect(failures).toHaveLength(1);
  });

  it('refuses events that do not advance the resourceVersion', () => {
    const hub = new WatchHub({ historySize: 10, resourceVersion: 5 });
    expect(() => hub.publish(event(5))).toThrow(/not after 5/);
  });
});
