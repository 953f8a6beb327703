// One watch on a namespace's pods that remembers, per pod name, when this process first
// saw it Running, Ready and deleted (performance.now() milliseconds). Benchmarks time
// pods by what the API reports, as `kubectl get -w` would, without polling.

export interface PodMoments {
  running?: number;
  ready?: number;
  deleted?: number;
  nodeName?: string;
  uid?: string;
  /** Whether the last event showed the pod Ready, and every moment it turned Ready or not Ready. */
  isReady?: boolean;
  readyTimes: number[];
  notReadyTimes: number[];
  /** The first moment the pod was seen Ready with its containers restarted N times in all, by N. */
  readyAtRestarts: Record<number, number>;
}

interface WatchedPod {
  metadata: { name: string; uid: string; resourceVersion?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { restartCount?: number }[] };
}

export class PodWatch {
  readonly pods = new Map<string, PodMoments>();
  private readonly controller = new AbortController();
  private waiters: (() => void)[] = [];
  private done: Promise<void> = Promise.resolve();
  private resourceVersion = '';
  /** How often the server ended the stream and the watch resumed (servers may end a watch at any time). */
  resumed = 0;

  private constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly namespace: string,
  ) {}

  /** Starts watching from now (after a list, so the watch sees nothing twice). */
  static async start(baseUrl: string, token: string, namespace = 'default'): Promise<PodWatch> {
    const watch = new PodWatch(baseUrl, token, namespace);
    await watch.list();
    watch.done = watch.follow();
    return watch;
  }

  private async list(): Promise<void> {
    const { metadata, items } = (await (await this.request('')).json()) as { metadata: { resourceVersion: string }; items: WatchedPod[] };
    for (const pod of items) this.observe('ADDED', pod);
    // After a 410 relist, a pod missing from the list was deleted while unwatched.
    const listed = new Set(items.map((pod) => pod.metadata.name));
    for (const [name, moments] of this.pods) if (!listed.has(name)) moments.deleted ??= performance.now();
    this.resourceVersion = metadata.resourceVersion;
  }

  /** Watches from the last resourceVersion seen, again whenever the server ends the stream, as an informer does. */
  private async follow(): Promise<void> {
    while (!this.controller.signal.aborted) {
      try {
        const gone = await this.read(await this.request(`?watch=true&allowWatchBookmarks=true&resourceVersion=${this.resourceVersion}`));
        if (gone) await this.list();
      } catch (error) {
        if (this.controller.signal.aborted) return;
        const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
        process.stderr.write(`pod watch: ${error instanceof Error ? error.message : String(error)}${cause}; resuming\n`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      if (!this.controller.signal.aborted) this.resumed++;
    }
  }

  private request(query: string): Promise<Response> {
    return fetch(`${this.baseUrl}/api/v1/namespaces/${this.namespace}/pods${query}`, {
      headers: { Authorization: `Bearer ${this.token}` },
      signal: this.controller.signal,
    });
  }

  /** Reads one watch response to its end; true when the server said 410 Gone (relist). */
  private async read(response: Response): Promise<boolean> {
    if (response.status === 410) return true;
    if (response.status !== 200) throw new Error(`watch answered ${response.status}: ${await response.text()}`);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!line.trim()) continue;
        const event = JSON.parse(line) as { type: string; object: WatchedPod & { code?: number; metadata: { resourceVersion?: string } } };
        if (event.type === 'ERROR') return event.object.code === 410;
        if (event.object.metadata.resourceVersion) this.resourceVersion = event.object.metadata.resourceVersion;
        if (event.type !== 'BOOKMARK') this.observe(event.type, event.object);
      }
    }
    return false;
  }

  private observe(type: string, pod: WatchedPod): void {
    const now = performance.now();
    const name = pod.metadata.name;
    let moments = this.pods.get(name);
    // A pod re-created under the same name (StatefulSet-style) starts afresh.
    if (!moments || (moments.uid && moments.uid !== pod.metadata.uid)) {
      moments = { uid: pod.metadata.uid, readyTimes: [], notReadyTimes: [], readyAtRestarts: {} };
      this.pods.set(name, moments);
    }
    if (pod.spec?.nodeName) moments.nodeName = pod.spec.nodeName;
    if (type === 'DELETED') moments.deleted ??= now;
    else {
      if (pod.status?.phase === 'Running') moments.running ??= now;
      const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      if (ready) moments.ready ??= now;
      if (ready !== (moments.isReady ?? false)) (ready ? moments.readyTimes : moments.notReadyTimes).push(now);
      moments.isReady = ready;
      const restarts = (pod.status?.containerStatuses ?? []).reduce((sum, c) => sum + (c.restartCount ?? 0), 0);
      if (ready) moments.readyAtRestarts[restarts] ??= now;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once `check` holds for what the watch has seen; rejects after timeoutMs. */
  async until(check: (pods: Map<string, PodMoments>) => boolean, what: string, timeoutMs = 300_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!check(this.pods)) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.done.catch(() => undefined);
  }
}
