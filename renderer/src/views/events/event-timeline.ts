import type { Event } from 'kubernetes-types/core/v1.js';

// The events timeline's pure part: when an event last happened (the fields differ
// between old-style and events.k8s.io-style events), newest first, and which events a
// type, a search text and the label filter let through.

export type EventTypeFilter = 'all' | 'Normal' | 'Warning';

export interface EventFilters {
  type: EventTypeFilter;
  search: string;
  /** False when the event's object is a pod in the store that the label filter hides. */
  objectVisible: (event: Event) => boolean;
}

/** Milliseconds since the epoch of the event's latest occurrence (0 when unknown). */
export function eventTime(event: Event): number {
  const stamp = event.lastTimestamp ?? event.series?.lastObservedTime ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp;
  const ms = stamp ? Date.parse(stamp) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

export function eventCount(event: Event): number {
  return event.count ?? event.series?.count ?? 1;
}

export function eventSource(event: Event): string {
  return event.source?.component ?? event.reportingComponent ?? '';
}

function searchText(event: Event): string {
  const object = event.involvedObject;
  return [event.reason, event.message, object?.kind, object?.name, object?.namespace, eventSource(event), event.type].join('\n').toLowerCase();
}

export function timeline(events: Iterable<Event>, filters: EventFilters): Event[] {
  const needle = filters.search.trim().toLowerCase();
  const shown: { event: Event; time: number }[] = [];
  for (const event of events) {
    if (filters.type !== 'all' && (event.type ?? 'Normal') !== filters.type) continue;
    if (needle && !searchText(event).includes(needle)) continue;
    if (!filters.objectVisible(event)) continue;
    shown.push({ event, time: eventTime(event) });
  }
  // Newest first; ties by name so the order is stable between renders.
  shown.sort((a, b) => b.time - a.time || (a.event.metadata?.name ?? '').localeCompare(b.event.metadata?.name ?? ''));
  return shown.map((s) => s.event);
}
