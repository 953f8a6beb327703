import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../core/api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../../core/api/resource-catalog.ts';
import { Informer } from '../../core/client/informer.ts';
import { RestClient } from '../../core/client/rest-client.ts';

// One informer on a namespace's pods that remembers, per pod name, when this process first
// saw it Running, Ready and deleted (performance.now() milliseconds). Benchmarks time
// pods by what the API reports, as `kubectl get -w` would, without polling; the informer
// resumes a watch the server ends and relists after 410 Gone.

const PODS = findByKind('v1', 'Pod') as ResourceInfo;
type PodObject = Pod & KubeObject;

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

export class PodWatch {
  readonly pods = new Map<string, PodMoments>();
  private waiters: (() => void)[] = [];

  private constructor(private readonly informer: Informer<PodObject>) {}

  /** Starts watching; resolves once the informer has listed what is there now. */
  static async start(baseUrl: string, token: string, namespace = 'default'): Promise<PodWatch> {
    const client = new RestClient({ server: baseUrl, token, userAgent: 'kubelab-bench' });
    const watch = new PodWatch(new Informer<PodObject>(client, PODS, { namespace }));
    watch.informer.addEventHandler({
      onAdd: (pod) => watch.observe('ADDED', pod),
      onUpdate: (_old, pod) => watch.observe('MODIFIED', pod),
      onDelete: (pod) => watch.observe('DELETED', pod),
    });
    watch.informer.start();
    await watch.informer.waitForSync();
    return watch;
  }

  private observe(type: string, pod: PodObject): void {
    const now = performance.now();
    const name = pod.metadata.name!;
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

  stop(): void {
    this.informer.stop();
  }
}
