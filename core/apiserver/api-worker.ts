import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log/logger.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import type { ComponentInfo } from '../cluster/component-supervisor.ts';
import { startApiServer } from './api-server.ts';
import type { ComponentsPort } from './components-api.ts';
import { ensureSystemNamespaces } from './bootstrap-namespaces.ts';
import { startEventExpiry } from './event-ttl.ts';
import { ResourceService } from './resource-service.ts';

// The API server's worker thread: it alone opens the store, then serves HTTP.
// Messages: in {type:'stop'} | {type:'components-reply', id, result};
// out {type:'ready', port, url, httpUrl} | {type:'error', message} | {type:'stopped'} | {type:'components', id, op, name}.

export interface ApiWorkerData {
  dataFile: string;
  token: string;
  host: string;
  port: number;
  tls?: { cert: string; key: string };
  rendererDir?: string;
}

const logger = createLogger('apiserver');
const data = workerData as ApiWorkerData;
const port = parentPort!;

async function run(): Promise<void> {
  const store = new LowdbStore({ file: data.dataFile });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  const server = await startApiServer({ store, token: data.token, host: data.host, port: data.port, tls: data.tls, logger, components: componentsFromHost(), rendererDir: data.rendererDir });
  const stopEventExpiry = startEventExpiry(store, logger);
  port.on('message', async (message: { type: string }) => {
    if (message.type === 'components-reply') return answerComponentsRequest(message as ComponentsReply);
    if (message.type !== 'stop') return;
    stopEventExpiry();
    await server.close();
    await store.close();
    port.postMessage({ type: 'stopped' });
  });
  port.postMessage({ type: 'ready', port: server.port, url: server.url, httpUrl: server.httpUrl });
}

interface ComponentsReply {
  type: 'components-reply';
  id: number;
  result: unknown;
}

const pending = new Map<number, (result: unknown) => void>();
let nextRequestId = 1;

/** The components live in the host (main) thread: ask it over the message port. */
function componentsFromHost(): ComponentsPort {
  const ask = (op: string, name?: string) =>
    new Promise<unknown>((resolve) => {
      const id = nextRequestId++;
      pending.set(id, resolve);
      port.postMessage({ type: 'components', id, op, name });
    });
  return {
    list: () => ask('list') as Promise<ComponentInfo[]>,
    terminate: (name) => ask('terminate', name) as Promise<boolean>,
    reset: () => ask('reset') as Promise<boolean>,
  };
}

function answerComponentsRequest(reply: ComponentsReply): void {
  pending.get(reply.id)?.(reply.result);
  pending.delete(reply.id);
}

run().catch((error: Error) => {
  port.postMessage({ type: 'error', message: error.message });
});
