import type { Event } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { eventCount, eventTime, timeline } from './event-timeline.ts';

const event = (name: string, fields: Partial<Event>): Event => ({ metadata: { name, namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web-1' }, ...fields });

const events = [
  event('a', { lastTimestamp: '2024-01-01T10:00:00Z', type: 'Normal', reason: 'Scheduled', message: 'assigned to node-a' }),
  event('b', { eventTime: '2024-01-01T10:05:00.000000Z', type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container' }),
  event('c', { firstTimestamp: '2024-01-01T10:02:00Z', type: 'Normal', reason: 'Pulled', involvedObject: { kind: 'Node', name: 'node-a' } }),
];
const all = { type: 'all' as const, search: '', objectVisible: () => true };

describe('event timeline', () => {
  it('reads the time from lastTimestamp, eventTime or firstTimestamp and orders newest first', () => {
    expect(eventTime(events[1])).toBe(Date.parse('2024-01-01T10:05:00Z'));
    expect(timeline(events, all).map((e) => e.metadata?.name)).toEqual(['b', 'c', 'a']);
  });

  it('filters by type, by search text and by the visibility of the involved object', () => {
    expect(timeline(events, { ...all, type: 'Warning' }).map((e) => e.metadata?.name)).toEqual(['b']);
    expect(timeline(events, { ...all, search: 'NODE-A' }).map((e) => e.metadata?.name)).toEqual(['c', 'a']);
    expect(timeline(events, { ...all, objectVisible: (e) => e.involvedObject.kind !== 'Pod' }).map((e) => e.metadata?.name)).toEqual(['c']);
  });

  it('counts repeats from count or series', () => {
    expect(eventCount({ ...events[0], count: 4 })).toBe(4);
    expect(eventCount({ ...events[0], series: { count: 7 } })).toBe(7);
    expect(eventCount(events[0])).toBe(1);
  });
});
