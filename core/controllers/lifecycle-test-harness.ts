import { setMaxListeners } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import type { ControllerFactory } from './controller.ts';
import { LAB_CONTROLLER_SETTINGS, type ControllerSettings } from './controller-settings.ts';

// Test support for the lifecycle controllers: an in-process API server on a temporary
// store and the given controllers running against it, with no node agent (tests play
// the kubelet by writing Leases and statuses).

export const kinds = {
  pods: findByKind('v1', 'Pod') as ResourceInfo,
  nodes: findByKind('v1', 'Node') as ResourceInfo,
  services: findByKind('v1', 'Service') as ResourceInfo,
  endpoints: findByKind('v1', 'Endpoints') as ResourceInfo,
  configmaps: findByKind('v1', 'ConfigMap') as ResourceInfo,
  events: findByKind('v1', 'Event') as ResourceInfo,
  namespaces: findByKind('v1', 'Namespace') as ResourceInfo,
  leases: findByKind('coordination.k8s.io/v1', 'Lease') as ResourceInfo,
  deployments: findByKind('apps/v1', 'Deployment') as ResourceInfo,
  replicasets: findByKind('apps/v1', 'ReplicaSet') as ResourceInfo,
};

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface ControllerHarness {
  client: RestClient;
  /** Creates a fresh namespace for one test. */
  newNamespace(): Promise<string>;
  /** Resolves once the object is gone (NotFound). */
  waitGone(info: ResourceInfo, namespace: string | undefined, name: string): Promise<void>;
  /** Polls until `check` returns a value that is not undefined/false. */
  waitFor<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T>;
  stop(): Promise<void>;
}

export async function startControllerHarness(factories: ControllerFactory[], settings: Partial<ControllerSettings> = {}): Promise<ControllerHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'kubelab-lifecycle-test-'));
  const store = new LowdbStore({ file: join(dir, 'kubelab-data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  const token = 'lifecycle-test-token-0123456789abcdef';
  const server: RunningApiServer = await startApiServer({ store, token, logger: silentLogger });
  const client = new RestClient({ server: server.httpUrl, token });
  const informers = new InformerFactory(client, { onError: () => {} });
  const abort = new AbortController();
  // Every informer waits on the one signal.
  setMaxListeners(100, abort.signal);
  const running = factories.map((factory) => {
    const controller = factory();
    return controller.run({
      client,
      informers,
      recorder: new EventRecorder(client, { component: controller.name, logger: silentLogger }),
      settings: { ...LAB_CONTROLLER_SETTINGS, ...settings },
      logger: silentLogger,
      signal: abort.signal,
      reportAction: () => {},
    });
  });
  informers.start();
  let namespaces = 0;

  const waitFor = async <T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> => {
    for (let i = 0; i < 400; i++) {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  return {
    client,
    async newNamespace() {
      const name = `t${++namespaces}`;
      await client.create(kinds.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject);
      return name;
    },
    waitGone: (info, namespace, name) =>
      waitFor(`${info.plural} ${namespace ?? ''}/${name} to be gone`, async () => {
        try {
          await client.get(info, namespace, name);
          return false;
        } catch (error) {
          if (isNotFound(error)) return true;
          throw error;
        }
      }).then(() => undefined),
    waitFor,
    async stop() {
      abort.abort();
      await Promise.all(running);
      informers.stop();
      await server.close();
      await store.close();
    },
  };
}
