import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import { startApiServer, type RunningApiServer } from '../apiserver/api-server.ts';
import { ensureSystemNamespaces } from '../apiserver/bootstrap-namespaces.ts';
import { ResourceService } from '../apiserver/resource-service.ts';
import { EventRecorder } from '../client/event-recorder.ts';
import { InformerFactory } from '../client/informer-factory.ts';
import { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import type { Controller } from './controller.ts';
import { LAB_CONTROLLER_SETTINGS } from './controller-settings.ts';

// Test support for the DaemonSet, Job and CronJob controller tests (not a test itself):
// an in-process API server with no scheduler and no node agent, a controller running
// against it, a clock tests move by hand, and the kubelet's part played by writing pod
// statuses and finishing graceful deletions.

const TOKEN = 'batch-controller-test-token-0123456789abcdef';
export const PODS = findByKind('v1', 'Pod') as ResourceInfo;
export const NODES = findByKind('v1', 'Node') as ResourceInfo;
export const EVENTS = findByKind('v1', 'Event') as ResourceInfo;
const NAMESPACES = findByKind('v1', 'Namespace') as ResourceInfo;
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export type PodObject = Pod & KubeObject;

/** A clock that moves only when told. */
export class ManualClock {
  constructor(private ms: number) {}
  now = (): Date => new Date(this.ms);
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}

export interface TestCluster {
  client: RestClient;
  /** Runs a controller with its own informers (resyncing every `resyncMs`, so clock moves are noticed). */
  run(controller: Controller, options?: { resyncMs?: number }): Promise<RunningController>;
  newNamespace(): Promise<string>;
  close(): Promise<void>;
}

export interface RunningController {
  actions: string[];
  stop(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-batch-test-'));
  const store = new LowdbStore({ file: join(dir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  const server: RunningApiServer = await startApiServer({ store, token: TOKEN, logger: silentLogger });
  const client = new RestClient({ server: server.httpUrl, token: TOKEN });
  const running: RunningController[] = [];
  let namespaces = 0;
  return {
    client,
    async run(controller, options = {}) {
      const informers = new InformerFactory(client, { resyncMs: options.resyncMs ?? 100, onError: () => {} });
      const abort = new AbortController();
      const actions: string[] = [];
      const done = controller.run({
        client,
        informers,
        recorder: new EventRecorder(client, { component: controller.name }),
        settings: { ...LAB_CONTROLLER_SETTINGS, workers: 2 },
        logger: silentLogger,
        signal: abort.signal,
        reportAction: (action) => actions.push(action),
      });
      informers.start();
      await informers.waitForSync();
      const handle: RunningController = {
        actions,
        async stop() {
          abort.abort();
          await done;
          informers.stop();
        },
      };
      running.push(handle);
      return handle;
    },
    async newNamespace() {
      const name = `batch${++namespaces}`;
      await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
    async close() {
      await Promise.all(running.splice(0).map((r) => r.stop()));
      await server.close();
      await store.close();
    },
  };
}

export async function listPods(client: RestClient, namespace: string): Promise<PodObject[]> {
  return (await client.list<PodObject>(PODS, { namespace })).items;
}

/** The kubelet's part: move a pod to `phase`, optionally Ready. */
export async function setPodPhase(client: RestClient, pod: PodObject, phase: string, ready = false): Promise<void> {
  const fresh = await client.get<PodObject>(PODS, pod.metadata.namespace, pod.metadata.name ?? '');
  const now = new Date().toISOString();
  const conditions: PodCondition[] = [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }];
  await client.updateStatus(PODS, { ...fresh, status: { ...(fresh.status ?? {}), phase, conditions } } as KubeObject);
}

/** The kubelet finishing graceful deletions: terminating pods without finalizers go away. */
export async function finishTerminatingPods(client: RestClient, namespace: string): Promise<void> {
  for (const pod of await listPods(client, namespace)) {
    if (!pod.metadata.deletionTimestamp) continue;
    try {
      await client.delete(PODS, namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0 });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

export async function eventReasons(client: RestClient, namespace: string, name: string): Promise<string[]> {
  const { items } = await client.list(EVENTS, { namespace });
  return items.filter((e) => (e.involvedObject as { name?: string }).name === name).map((e) => String(e.reason));
}

export function nodeObject(name: string, labels: Record<string, string> = {}, taints: unknown[] = []): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: taints.length ? { taints } : {},
  };
}
