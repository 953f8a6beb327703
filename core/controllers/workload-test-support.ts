import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.ts';
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
import type { ControllerFactory } from './controller.ts';
import { LAB_CONTROLLER_SETTINGS, type ControllerSettings } from './controller-settings.ts';

// Test support for the workload controllers (and other tests that need the real API
// server: manifest import): an in-process API server on a temporary store, controllers
// run without leader election, and a stand-in kubelet that marks pods Running and Ready.

export const TOKEN = 'workload-controller-test-token-0123456789';
export const NAMESPACES = findByKind('v1', 'Namespace') as ResourceInfo;
export const EVENTS = findByKind('v1', 'Event') as ResourceInfo;
export const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
export const TEST_SETTINGS: ControllerSettings = {
  ...LAB_CONTROLLER_SETTINGS,
  leaseDurationSeconds: 1,
  renewDeadlineSeconds: 0.6,
  retryPeriodSeconds: 0.15,
  workers: 3,
};

export interface TestCluster {
  client: RestClient;
  url: string;
  newNamespace(): Promise<string>;
  close(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-workloads-test-'));
  const store = new LowdbStore({ file: join(dir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  const server: RunningApiServer = await startApiServer({ store, token: TOKEN, logger: silent });
  const client = new RestClient({ server: server.httpUrl, token: TOKEN });
  let counter = 0;
  return {
    client,
    url: server.httpUrl,
    async newNamespace() {
      const name = `w${++counter}-${Math.random().toString(36).slice(2, 7)}`;
      await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs controllers as the controller-manager would once leading; stop() ends them. */
export function runControllers(client: RestClient, factories: ControllerFactory[], settings: ControllerSettings = TEST_SETTINGS): { stop(): Promise<void>; actions: string[] } {
  const abort = new AbortController();
  const informers = new InformerFactory(client, { onError: () => {} });
  const actions: string[] = [];
  const runs = factories.map((factory) => {
    const controller = factory();
    return controller.run({
      client,
      informers,
      recorder: new EventRecorder(client, { component: controller.name }),
      settings,
      logger: silent,
      signal: abort.signal,
      reportAction: (action) => actions.push(action),
    });
  });
  informers.start();
  return {
    actions,
    async stop() {
      abort.abort();
      await Promise.all(runs);
      informers.stop();
    },
  };
}

/** Polls until `check` returns a value other than undefined/false. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

export const PODS = findByKind('v1', 'Pod') as ResourceInfo;

export async function listPods(client: RestClient, namespace: string, includeTerminating = false): Promise<(Pod & KubeObject)[]> {
  const { items } = await client.list<Pod & KubeObject>(PODS, { namespace });
  return includeTerminating ? items : items.filter((p) => !p.metadata.deletionTimestamp);
}

/**
 * Plays the kubelet for one pod: Running, and Ready since `readySince` (long ago by
 * default, so the pod is available whatever minReadySeconds is).
 */
export async function markPodReady(client: RestClient, pod: Pod & KubeObject, options: { ready?: boolean; readySince?: Date; nodeName?: string; restarts?: number } = {}): Promise<void> {
  const ready = options.ready ?? true;
  const since = (options.readySince ?? new Date(Date.now() - 3600_000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  for (let attempt = 0; attempt < 5; attempt++) {
    let current: Pod & KubeObject;
    try {
      current = await client.get<Pod & KubeObject>(PODS, pod.metadata.namespace, pod.metadata.name ?? '');
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    const status = {
      ...current.status,
      phase: 'Running',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: since },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: since },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: since },
      ],
      containerStatuses: (current.spec?.containers ?? []).map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready,
        restartCount: options.restarts ?? 0,
        started: true,
        state: { running: { startedAt: since } },
      })),
    };
    try {
      await client.updateStatus(PODS, { ...current, status } as KubeObject);
      return;
    } catch (error) {
      if (isNotFound(error)) return;
      if (!isConflict(error)) throw error;
    }
  }
}

/** Marks every not-yet-ready, non-terminating pod of the namespace Ready. */
export async function markAllReady(client: RestClient, namespace: string): Promise<number> {
  const pods = await listPods(client, namespace);
  const pending = pods.filter((p) => !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  await Promise.all(pending.map((p) => markPodReady(client, p)));
  return pending.length;
}

export function container(image = 'nginx:1.27'): { name: string; image: string } {
  return { name: 'app', image };
}
