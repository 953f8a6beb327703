import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LowdbStore } from '../store/lowdb-store.ts';
import { expireEvents } from './event-ttl.ts';

describe('expireEvents', () => {
  it('removes events last seen before the TTL and keeps recent ones', async () => {
    const store = new LowdbStore({ file: join(await mkdtemp(join(tmpdir(), 'event-ttl-')), 'data.json') });
    await store.open();
    const event = (name: string, lastTimestamp: string) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' },
      reason: 'Started',
      lastTimestamp,
    });
    await store.create('events', event('old', '2026-01-01T00:00:00Z'));
    await store.create('events', event('fresh', '2026-01-01T00:59:00Z'));
    const removed = await expireEvents(store, 3600, new Date('2026-01-01T01:30:00Z'));
    expect(removed).toBe(1);
    expect((await store.list('events')).items.map((e) => e.metadata.name)).toEqual(['fresh']);
    await store.close();
  });
});
