import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { ApiWorkerData } from '../apiserver/api-worker.ts';
import type { AgentsWorkerData } from './agents-worker.ts';
import { createLogger } from '../log/logger.ts';
import { acquireDataDirLock } from '../store/data-dir-lock.ts';
import { loadOrCreateToken } from './api-token.ts';
import { dataPaths } from './data-paths.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { loadOrCreateServingCerts } from './serving-certs.ts';

// The composition root shared by `kubelab serve` and the Electron app: lock the data
// directory, start the API server in its worker thread, write the kubeconfig.
// Later components (scheduler, controllers, agents) start here too, as API clients.

export interface ControlPlaneOptions {
  dataDir: string;
  /** Kubernetes' kubelet timings (default) or short lab ones (faster back-off for demos and tests). */
  timings?: 'kubernetes' | 'lab';
  /** Register the local Docker daemon as a node when it answers (default true). */
  localNode?: boolean;
  /** Port to listen on; undefined reuses the last one when free, else any free port. */
  port?: number;
  host?: string;
  kubeconfigPath?: string;
}

export interface ControlPlane {
  /** https://127.0.0.1:PORT, for kubectl and other TLS clients. */
  url: string;
  /** The same port over plain HTTP, for the browser GUI on this machine. */
  httpUrl: string;
  port: number;
  token: string;
  kubeconfigPath: string;
  dataFile: string;
  stop(): Promise<void>;
}

const logger = createLogger('control-plane');

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const paths = dataPaths(options.dataDir);
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireDataDirLock(paths.dataDir);
  try {
    const token = await loadOrCreateToken(paths.tokenFile);
    const certs = await loadOrCreateServingCerts(paths.dataDir);
    const host = options.host ?? '127.0.0.1';
    const { worker, port, url, httpUrl } = await startApiWorker(
      { dataFile: paths.dataFile, token, host, port: options.port ?? 0, tls: { cert: certs.cert, key: certs.key } },
      options.port === undefined ? await previousPort(paths.stateFile) : undefined,
    );
    let agents: Worker;
    try {
      const agentsData: AgentsWorkerData = {
        apiUrl: httpUrl,
        token,
        dataDir: paths.dataDir,
        timings: options.timings ?? 'kubernetes',
        localNode: options.localNode ?? true,
      };
      ({ worker: agents } = await startWorker(new URL('./agents-worker-entry.mjs', import.meta.url), agentsData));
    } catch (error) {
      await stopWorker(worker);
      throw error;
    }
    const kubeconfigPath = options.kubeconfigPath ?? paths.kubeconfig;
    await writeKubeconfig(kubeconfigPath, url, token, certs.caCert);
    await writeFile(paths.stateFile, `${JSON.stringify({ port, url, httpUrl, pid: process.pid }, null, 2)}\n`);
    let stopping: Promise<void> | undefined;
    return {
      url,
      httpUrl,
      port,
      token,
      kubeconfigPath,
      dataFile: paths.dataFile,
      // Agents first: they stop their loops (containers keep running) while the API still answers.
      stop: () => (stopping ??= stopWorker(agents).then(() => stopWorker(worker)).finally(() => lock.release())),
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function previousPort(stateFile: string): Promise<number | undefined> {
  try {
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { port?: number };
    return typeof state.port === 'number' ? state.port : undefined;
  } catch {
    return undefined;
  }
}

interface StartedWorker {
  worker: Worker;
  port: number;
  url: string;
  httpUrl: string;
}

/** Starts the worker on `preferredPort` when given and free, otherwise on data.port. */
async function startApiWorker(data: ApiWorkerData, preferredPort?: number): Promise<StartedWorker> {
  if (preferredPort) {
    try {
      return await launchApiWorker({ ...data, port: preferredPort });
    } catch (e) {
      if (!/EADDRINUSE|EACCES/.test((e as Error).message)) throw e;
      logger.info('previous port is taken; using a free one', { port: preferredPort });
    }
  }
  return launchApiWorker(data);
}

async function launchApiWorker(data: ApiWorkerData): Promise<StartedWorker> {
  const { worker, ready } = await startWorker<{ port: number; url: string; httpUrl: string }>(new URL('../apiserver/api-worker-entry.mjs', import.meta.url), data);
  return { worker, ...ready };
}

/** Starts a worker thread and waits for its {type:'ready'} message (or its error). */
function startWorker<Ready = object>(entry: URL, data: unknown): Promise<{ worker: Worker; ready: Ready }> {
  const worker = new Worker(entry, { workerData: data });
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string; message?: string }) => {
      if (message.type === 'ready') {
        cleanup();
        resolve({ worker, ready: message as Ready });
      } else if (message.type === 'error') {
        cleanup();
        void worker.terminate();
        reject(new Error(message.message));
      }
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`the worker ${entry.pathname.split('/').pop()} exited with code ${code} before it was ready`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

async function stopWorker(worker: Worker): Promise<void> {
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (m: { type: string }) => m.type === 'stopped' && resolve());
    worker.on('exit', () => resolve());
  });
  worker.postMessage({ type: 'stop' });
  // A worker stuck in a flush still gets a bounded time to finish it; the timer must
  // not keep the process alive once the worker has stopped.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([stopped, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
  clearTimeout(timer);
  await worker.terminate();
}
