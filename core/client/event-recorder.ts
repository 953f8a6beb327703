import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Logger } from '../log/logger.ts';
import type { RestClient } from './rest-client.ts';

// client-go's EventRecorder with its correlator's aggregation: a repeat of the same
// reason and message about the same object within ten minutes bumps the count and
// lastTimestamp of the existing Event instead of creating another. Recording is
// fire-and-forget: an Event that cannot be written is logged, never thrown to callers.

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  component: string; // 'kubelet'
  /** source.host and reportingInstance: the node name. */
  host?: string;
  logger?: Logger;
  now?: () => Date;
  /** Repeats within this window update the existing Event. Default 10 minutes. */
  aggregationWindowMs?: number;
}

interface Recorded {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastSeenMs: number;
}

const EVENTS = findByKind('v1', 'Event') as ResourceInfo;
const MAX_CACHED = 4096;

export class EventRecorder {
  private readonly recent = new Map<string, Recorded>();
  /** Writes of one aggregation key run one after another, so counts never race. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly now: () => Date;
  private readonly windowMs: number;
  private sequence = 0;

  constructor(
    private readonly client: RestClient,
    private readonly options: EventRecorderOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.windowMs = options.aggregationWindowMs ?? 10 * 60_000;
  }

  /** Records an Event about `obj`; resolves when written (or when writing failed and was logged). */
  record(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const involved = involvedObjectOf(obj, fieldPath);
    const key = [involved.kind, involved.namespace, involved.name, involved.uid, fieldPath ?? '', type, reason, message].join('\u0000');
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.write(key, involved, type, reason, message)).catch((error: unknown) => {
      this.options.logger?.warn('cannot record event', { reason, object: `${involved.namespace ?? ''}/${involved.name}`, error: String(error) });
    });
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }

  private async write(key: string, involved: InvolvedObject, type: EventType, reason: string, message: string): Promise<void> {
    const now = this.now();
    const timestamp = rfc3339(now);
    const known = this.recent.get(key);
    if (known && now.getTime() - known.lastSeenMs <= this.windowMs) {
      const patched = { count: known.count + 1, lastTimestamp: timestamp };
      try {
        await this.client.patch(EVENTS, known.namespace, known.name, patched, 'merge');
        known.count += 1;
        known.lastSeenMs = now.getTime();
        return;
      } catch (error) {
        // Deleted meanwhile (or expired): start a new Event below.
        this.options.logger?.debug('event aggregation failed, creating a new event', { error: String(error) });
      }
    }
    const namespace = involved.namespace || 'default';
    const name = `${involved.name}.${(now.getTime() * 1000 + (this.sequence++ % 1000)).toString(16)}`;
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: involved,
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: this.options.component, ...(this.options.host ? { host: this.options.host } : {}) },
      reportingComponent: this.options.component,
      reportingInstance: this.options.host ?? '',
    };
    await this.client.create(EVENTS, event);
    this.recent.set(key, { name, namespace, count: 1, firstTimestamp: timestamp, lastSeenMs: now.getTime() });
    if (this.recent.size > MAX_CACHED) this.recent.delete(this.recent.keys().next().value as string);
  }
}

interface InvolvedObject {
  apiVersion?: string;
  kind?: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

function involvedObjectOf(obj: KubeObject, fieldPath: string | undefined): InvolvedObject {
  const ref: InvolvedObject = { apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind, name: obj.metadata.name ?? '' };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata.uid) ref.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  if (fieldPath) ref.fieldPath = fieldPath;
  return ref;
}

function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
