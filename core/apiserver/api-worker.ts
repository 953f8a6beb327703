import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log/logger.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { startApiServer } from './api-server.ts';
import { ensureSystemNamespaces } from './bootstrap-namespaces.ts';
import { startEventExpiry } from './event-ttl.ts';
import { ResourceService } from './resource-service.ts';

// The API server's worker thread: it alone opens the store, then serves HTTP.
// Messages: in {type:'stop'}; out {type:'ready', port, url, httpUrl} | {type:'error', message} | {type:'stopped'}.

export interface ApiWorkerData {
  dataFile: string;
  token: string;
  host: string;
  port: number;
  tls?: { cert: string; key: string };
}

const logger = createLogger('apiserver');
const data = workerData as ApiWorkerData;
const port = parentPort!;

async function run(): Promise<void> {
  const store = new LowdbStore({ file: data.dataFile });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  const server = await startApiServer({ store, token: data.token, host: data.host, port: data.port, tls: data.tls, logger });
  const stopEventExpiry = startEventExpiry(store, logger);
  port.on('message', async (message: { type: string }) => {
    if (message.type !== 'stop') return;
    stopEventExpiry();
    await server.close();
    await store.close();
    port.postMessage({ type: 'stopped' });
  });
  port.postMessage({ type: 'ready', port: server.port, url: server.url, httpUrl: server.httpUrl });
}

run().catch((error: Error) => {
  port.postMessage({ type: 'error', message: error.message });
});
