import { parentPort, workerData } from 'node:worker_threads';
import { RestClient } from '../client/rest-client.ts';
import { ALL_CONTROLLERS } from '../controllers/all-controllers.ts';
import { runControllerManager } from '../controllers/controller-manager.ts';
import { createLogger } from '../log/logger.ts';
import type { ComponentWorkerData } from './component-worker-data.ts';

// One copy of the controller-manager. Copies compete for the
// kube-system/kube-controller-manager Lease; only the leader runs controllers. When
// leadership is lost the thread ends and its supervisor restarts it as a standby;
// a {type:'stop'} message hands the Lease over at once and ends the thread.

const data = workerData as ComponentWorkerData;
const logger = createLogger(`controller-manager/${data.identity}`);
const client = new RestClient({ server: data.apiUrl, token: data.token, userAgent: `kube-controller-manager/${data.identity}` });
const stop = new AbortController();
parentPort?.on('message', (message: { type: string }) => message.type === 'stop' && stop.abort());

try {
  await runControllerManager({
    client,
    identity: data.identity,
    settings: data.settings,
    controllers: ALL_CONTROLLERS,
    logger,
    reportAction: (action: string) => parentPort?.postMessage({ type: 'action', action }),
    signal: stop.signal,
  });
  process.exit(0);
} catch (error) {
  logger.warn('controller-manager ended; the supervisor restarts it as a standby', { error: (error as Error).message });
  process.exit(1);
}
