import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef, triggerRef, type ShallowRef } from 'vue';
import type { Deployment, DaemonSet, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Endpoints, Event, Namespace, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import { isUnauthorized } from '../../../core/api/errors.ts';
import { keyOf, type KubeObject } from '../../../core/api/kube-object.ts';
import { Informer } from '../../../core/client/informer.ts';
import type { RestClient } from '../../../core/client/rest-client.ts';
import { KINDS, WATCHED_KINDS, type WatchedKind } from '../api/resources.ts';

// The cluster as the GUI sees it: one informer (list, then watch) per kind, exactly as
// kubectl and the controllers read the API. Watch events are applied in batches, at
// most once per FLUSH_MS, so thousands of pods changing at once cost one re-render. A
// batch updates each kind's keyed map in place (a set or delete per event, not a copy of
// 30,000 pods) and then tells the map's readers once.

export const FLUSH_MS = 100;

export type Obj<T> = T & KubeObject;
export interface KindTypes {
  namespaces: Obj<Namespace>;
  nodes: Obj<Node>;
  pods: Obj<Pod>;
  services: Obj<Service>;
  endpoints: Obj<Endpoints>;
  events: Obj<Event>;
  deployments: Obj<Deployment>;
  replicasets: Obj<ReplicaSet>;
  daemonsets: Obj<DaemonSet>;
  jobs: Obj<Job>;
  cronjobs: Obj<CronJob>;
}

type Maps = { [K in WatchedKind]: ShallowRef<ReadonlyMap<string, KindTypes[K]>> };
type Change = { kind: WatchedKind; key: string; obj: KubeObject | undefined };

export const useClusterStore = defineStore('cluster', () => {
  const maps = Object.fromEntries(WATCHED_KINDS.map((kind) => [kind, shallowRef(new Map())])) as unknown as Maps;
  const synced = ref(false);
  const error = ref<string | undefined>();
  /** The API refused the token (a page opened without the address `kubelab serve` printed, or a stale token). */
  const unauthorized = ref(false);
  let informers: Informer[] = [];
  let pending: Change[] = [];
  let flushTimer: ReturnType<typeof setTimeout> | undefined;

  function flush(): void {
    flushTimer = undefined;
    const changes = pending;
    pending = [];
    const touched = new Set<WatchedKind>();
    for (const change of changes) {
      const map = maps[change.kind].value as Map<string, KubeObject>;
      touched.add(change.kind);
      if (change.obj) map.set(change.key, markRaw(change.obj));
      else map.delete(change.key);
    }
    for (const kind of touched) triggerRef(maps[kind]);
  }

  function enqueue(change: Change): void {
    pending.push(change);
    flushTimer ??= setTimeout(flush, FLUSH_MS);
  }

  /** Starts every informer; resolves once each has listed. Safe to call again after stop(). */
  async function start(client: RestClient): Promise<void> {
    stop();
    informers = WATCHED_KINDS.map((kind) => {
      const informer = new Informer(client, KINDS[kind], {
        onError: (e) => {
          error.value = e instanceof Error ? e.message : String(e);
          unauthorized.value = isUnauthorized(e);
        },
      });
      informer.addEventHandler({
        onAdd: (obj) => enqueue({ kind, key: keyOf(obj), obj }),
        onUpdate: (_old, obj) => enqueue({ kind, key: keyOf(obj), obj }),
        onDelete: (obj) => enqueue({ kind, key: keyOf(obj), obj: undefined }),
      });
      return informer;
    });
    for (const informer of informers) informer.start();
    await Promise.all(informers.map((informer) => informer.waitForSync()));
    flush();
    synced.value = true;
    error.value = undefined;
    unauthorized.value = false;
  }

  function stop(): void {
    for (const informer of informers) informer.stop();
    informers = [];
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    pending = [];
  }

  function list<K extends WatchedKind>(kind: K): KindTypes[K][] {
    return [...maps[kind].value.values()] as KindTypes[K][];
  }

  function get<K extends WatchedKind>(kind: K, namespace: string | undefined, name: string): KindTypes[K] | undefined {
    return maps[kind].value.get(namespace ? `${namespace}/${name}` : name) as KindTypes[K] | undefined;
  }

  const pods = computed(() => list('pods'));
  const nodes = computed(() => list('nodes'));

  return { maps, synced, error, unauthorized, start, stop, flush, list, get, pods, nodes };
});
