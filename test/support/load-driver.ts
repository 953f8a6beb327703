import { Agent, request, type ClientRequest } from 'node:http';
import { apiRequest } from './api-request.ts';

// Many clients at once against one API server: writers that create, update and delete
// ConfigMaps of their own (so none of their writes may conflict), and watchers that
// follow the namespace from one resourceVersion. Afterwards every watcher's events can
// be checked against the writes the server acknowledged. Used by
// test/watch-under-load.test.ts (a short run) and bench/api-load.ts (the long form, with
// latencies).

export interface AcknowledgedWrite {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  name: string;
  resourceVersion: number;
  /** data.n after the write (the writer's counter). */
  n: string | undefined;
  latencyMs: number;
}

export interface SeenEvent {
  type: string;
  name: string;
  resourceVersion: number;
  n: string | undefined;
}

export interface LoadOptions {
  baseUrl: string;
  token: string;
  namespace: string;
  writers: number;
  watchers: number;
  seconds: number;
  /** Objects each writer cycles through. */
  objectsPerWriter?: number;
}

export interface LoadResult {
  writes: AcknowledgedWrite[];
  failures: string[];
  watchers: SeenEvent[][];
  startResourceVersion: number;
}

/** Follows ConfigMaps of one namespace from a resourceVersion, recording each event. */
class Watcher {
  readonly events: SeenEvent[] = [];
  error: string | undefined;
  private req: ClientRequest | undefined;
  private readonly agent = new Agent({ keepAlive: false });

  constructor(private readonly options: LoadOptions, fromVersion: number) {
    const url = new URL(`/api/v1/namespaces/${options.namespace}/configmaps?watch=true&resourceVersion=${fromVersion}&timeoutSeconds=3600`, options.baseUrl);
    this.req = request(url, { agent: this.agent, headers: { Authorization: `Bearer ${options.token}` } }, (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim()) this.record(JSON.parse(line));
        }
      });
      res.on('end', () => (this.error ??= 'the watch ended'));
    });
    this.req.on('error', (error) => (this.error ??= error.message));
    this.req.end();
  }

  private record(event: { type: string; object: { metadata: { name: string; resourceVersion: string }; data?: { n?: string }; message?: string } }): void {
    if (event.type === 'ERROR') {
      this.error ??= `ERROR event: ${event.object.message}`;
      return;
    }
    this.events.push({ type: event.type, name: event.object.metadata.name, resourceVersion: Number(event.object.metadata.resourceVersion), n: event.object.data?.n });
  }

  lastVersion(): number {
    return this.events.at(-1)?.resourceVersion ?? 0;
  }

  stop(): void {
    this.req?.destroy();
    this.agent.destroy();
  }
}

/** One writer's loop: create, update three times, delete, over its own objects, until the deadline (one round at least). */
async function writeUntil(options: LoadOptions, writer: number, deadline: number, writes: AcknowledgedWrite[], failures: string[]): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const base = `/api/v1/namespaces/${options.namespace}/configmaps`;
  const send = async (method: string, path: string, body: unknown, type: AcknowledgedWrite['type'], name: string) => {
    const started = performance.now();
    const res = await apiRequest(options.baseUrl, method, path, { token: options.token, body, agent }).catch((error: Error) => ({ status: 0, body: error.message, json: () => undefined }));
    const latencyMs = performance.now() - started;
    if (res.status < 200 || res.status >= 300) {
      failures.push(`${method} ${path}: ${res.status} ${res.body.slice(0, 200)}`);
      return undefined;
    }
    const object = res.json();
    // A delete answers with a Status, as in Kubernetes: no object, no resourceVersion.
    writes.push({ type, name, resourceVersion: Number(object.metadata?.resourceVersion ?? NaN), n: object.data?.n, latencyMs });
    return object;
  };
  try {
    // At least one whole round (create, three updates, delete) however slow the machine, then on until the deadline.
    for (let round = 0; round === 0 || performance.now() < deadline; round++) {
      const name = `w${writer}-${round % (options.objectsPerWriter ?? 5)}`;
      let object = await send('POST', base, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: '0' } }, 'ADDED', name);
      for (let n = 1; object && n <= 3; n++) {
        object = await send('PUT', `${base}/${name}`, { ...object, data: { n: String(n) } }, 'MODIFIED', name);
      }
      if (object) await send('DELETE', `${base}/${name}`, undefined, 'DELETED', name);
    }
  } finally {
    agent.destroy();
  }
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const list = await apiRequest(options.baseUrl, 'GET', `/api/v1/namespaces/${options.namespace}/configmaps`, { token: options.token });
  const startResourceVersion = Number(list.json().metadata.resourceVersion);
  const watchers = Array.from({ length: options.watchers }, () => new Watcher(options, startResourceVersion));
  const writes: AcknowledgedWrite[] = [];
  const failures: string[] = [];
  try {
    const deadline = performance.now() + options.seconds * 1000;
    await Promise.all(Array.from({ length: options.writers }, (_, writer) => writeUntil(options, writer, deadline, writes, failures)));
    // One more write after all the others: a watcher that has seen it has seen everything before it.
    const marker = await apiRequest(options.baseUrl, 'POST', `/api/v1/namespaces/${options.namespace}/configmaps`, { token: options.token, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'end-' } } });
    const last = Number(marker.json().metadata.resourceVersion);
    const caughtUp = performance.now() + 30_000;
    while (watchers.some((watcher) => !watcher.error && watcher.lastVersion() < last) && performance.now() < caughtUp) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const [index, watcher] of watchers.entries()) if (!watcher.error && watcher.lastVersion() < last) failures.push(`watcher ${index} never saw resourceVersion ${last}`);
    for (const [index, watcher] of watchers.entries()) if (watcher.error) failures.push(`watcher ${index}: ${watcher.error}`);
    return { writes, failures, watchers: watchers.map((watcher) => watcher.events), startResourceVersion };
  } finally {
    for (const watcher of watchers) watcher.stop();
  }
}

/**
 * What a watcher should have seen: resourceVersions only ever rising, and for each of the
 * writers' objects exactly the writes acknowledged for it, in the order its writer made
 * them, with their content and (a delete answers with a Status, so not for deletes) their
 * resourceVersion. Anything else, a missed, extra, duplicated or reordered event, is listed.
 */
export function watchDiscrepancies(writes: AcknowledgedWrite[], seen: SeenEvent[]): string[] {
  const problems: string[] = [];
  const ours = seen.filter((event) => /^w\d+-\d+$/.test(event.name));
  for (let i = 1; i < ours.length; i++) {
    if (ours[i].resourceVersion <= ours[i - 1].resourceVersion) problems.push(`event ${i} (${ours[i].resourceVersion}) came after ${ours[i - 1].resourceVersion}`);
  }
  const describe = (type: string, n: string | undefined, resourceVersion: number | undefined) => `${type}${type === 'DELETED' ? '' : ` n=${n} at ${resourceVersion}`}`;
  const expected = new Map<string, string[]>();
  for (const w of writes) expected.set(w.name, [...(expected.get(w.name) ?? []), describe(w.type, w.n, w.resourceVersion)]);
  const actual = new Map<string, string[]>();
  for (const e of ours) actual.set(e.name, [...(actual.get(e.name) ?? []), describe(e.type, e.n, e.resourceVersion)]);
  for (const name of new Set([...expected.keys(), ...actual.keys()])) {
    const want = (expected.get(name) ?? []).join(', ');
    const got = (actual.get(name) ?? []).join(', ');
    if (want !== got) problems.push(`${name}: wrote ${want || '(nothing)'}; saw ${got || '(nothing)'}`);
  }
  return problems.slice(0, 10);
}
