import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { ApiWorkerData } from '../apiserver/api-worker.ts';
import { KUBERNETES_CONTROLLER_SETTINGS, LAB_CONTROLLER_SETTINGS } from '../controllers/controller-settings.ts';
import { createLogger } from '../log/logger.ts';
import { acquireDataDirLock } from '../store/data-dir-lock.ts';
import type { AgentsWorkerData } from './agents-worker.ts';
import { loadOrCreateToken } from './api-token.ts';
import { ComponentSupervisor } from './component-supervisor.ts';
import type { ComponentWorkerData } from './component-worker-data.ts';
import { dataPaths } from './data-paths.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { ensureRendererBuilt } from './renderer-build.ts';
import { loadOrCreateServingCerts } from './serving-certs.ts';

// The composition root shared by `kubelab serve` and the Electron app: lock the data
// directory, start the API server in its worker thread, then the node agents, the
// scheduler and the controller-manager (each a client of the API, in threads of its
// own), and write the kubeconfig.

export interface ControlPlaneOptions {
  dataDir: string;
  /** Kubernetes' timings (default) or short lab ones (restart back-off, node grace periods, leases). */
  timings?: 'kubernetes' | 'lab';
  /** Register the local Docker daemon as a node when it answers (default true). */
  localNode?: boolean;
  /** Copies of the scheduler and of the controller-manager (leader-elected; default 1 each). */
  schedulers?: number;
  controllerManagers?: number;
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
  /** The GUI with the token in the URL fragment (never sent to the server); undefined without a renderer build. */
  guiUrl: string | undefined;
  port: number;
  token: string;
  kubeconfigPath: string;
  dataFile: string;
  stop(): Promise<void>;
}

const logger = createLogger('control-plane');
const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const paths = dataPaths(options.dataDir);
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireDataDirLock(paths.dataDir);
  const supervisor = new ComponentSupervisor();
  const started: Worker[] = [];
  const stopAll = async () => {
    await supervisor.stop();
    // Agents before the API: they stop their loops (containers keep running) while it still answers.
    for (const worker of started.reverse()) await stopWorker(worker);
  };
  try {
    const token = await loadOrCreateToken(paths.tokenFile);
    const certs = await loadOrCreateServingCerts(paths.dataDir);
    const host = options.host ?? '127.0.0.1';
    const rendererDir = await ensureRendererBuilt();
    const api = await startApiWorker(
      { dataFile: paths.dataFile, token, host, port: options.port ?? 0, tls: { cert: certs.cert, key: certs.key }, rendererDir },
      options.port === undefined ? await previousPort(paths.stateFile) : undefined,
    );
    started.push(api.worker);
    answerComponentRequests(api.worker, supervisor);

    const lab = options.timings === 'lab';
    const agentsData: AgentsWorkerData = { apiUrl: api.httpUrl, token, dataDir: paths.dataDir, timings: lab ? 'lab' : 'kubernetes', localNode: options.localNode ?? true };
    started.push((await startWorker('./agents-worker.ts', agentsData)).worker);

    const settings = lab ? LAB_CONTROLLER_SETTINGS : KUBERNETES_CONTROLLER_SETTINGS;
    const component = (kind: string, module: string, copies: number) => {
      for (let i = 1; i <= copies; i++) {
        const name = `${kind}-${i}`;
        const dataForLaunch = (): ComponentWorkerData => ({
          module,
          apiUrl: api.httpUrl,
          token,
          identity: `${name}-${randomBytes(3).toString('hex')}`,
          settings,
          timings: lab ? 'lab' : 'kubernetes',
        });
        supervisor.start(name, kind, WORKER_ENTRY, dataForLaunch);
      }
    };
    component('scheduler', './scheduler-worker.ts', options.schedulers ?? 1);
    component('controller-manager', './controller-manager-worker.ts', options.controllerManagers ?? 1);

    const kubeconfigPath = options.kubeconfigPath ?? paths.kubeconfig;
    await writeKubeconfig(kubeconfigPath, api.url, token, certs.caCert);
    await writeFile(paths.stateFile, `${JSON.stringify({ port: api.port, url: api.url, httpUrl: api.httpUrl, pid: process.pid }, null, 2)}\n`);
    let stopping: Promise<void> | undefined;
    return {
      url: api.url,
      httpUrl: api.httpUrl,
      guiUrl: rendererDir ? `${api.httpUrl}/#token=${encodeURIComponent(token)}` : undefined,
      port: api.port,
      token,
      kubeconfigPath,
      dataFile: paths.dataFile,
      stop: () => (stopping ??= stopAll().finally(() => lock.release())),
    };
  } catch (error) {
    await stopAll();
    await lock.release();
    throw error;
  }
}

/** The API server asks the host about components (GET/terminate under /kubelab/v1/components). */
function answerComponentRequests(api: Worker, supervisor: ComponentSupervisor): void {
  api.on('message', async (message: { type: string; id?: number; op?: string; name?: string }) => {
    if (message.type !== 'components') return;
    const result = message.op === 'terminate' ? await supervisor.terminate(message.name ?? '') : supervisor.list();
    api.postMessage({ type: 'components-reply', id: message.id, result });
  });
}

async function previousPort(stateFile: string): Promise<number | undefined> {
  try {
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { port?: number };
    return typeof state.port === 'number' ? state.port : undefined;
  } catch {
    return undefined;
  }
}

interface StartedApi {
  worker: Worker;
  port: number;
  url: string;
  httpUrl: string;
}

/** Starts the API worker on `preferredPort` when given and free, otherwise on data.port. */
async function startApiWorker(data: ApiWorkerData, preferredPort?: number): Promise<StartedApi> {
  const launch = async (port: number) => {
    const { worker, ready } = await startWorker<{ port: number; url: string; httpUrl: string }>('../apiserver/api-worker.ts', { ...data, port });
    return { worker, ...ready };
  };
  if (preferredPort) {
    try {
      return await launch(preferredPort);
    } catch (e) {
      if (!/EADDRINUSE|EACCES/.test((e as Error).message)) throw e;
      logger.info('previous port is taken; using a free one', { port: preferredPort });
    }
  }
  return launch(data.port);
}

/** Starts a worker thread on `module` (relative to worker-entry.mjs) and waits for its {type:'ready'} message. */
function startWorker<Ready = object>(module: string, data: object): Promise<{ worker: Worker; ready: Ready }> {
  const worker = new Worker(WORKER_ENTRY, { workerData: { ...data, module } });
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
      reject(new Error(`the worker ${module} exited with code ${code} before it was ready`));
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
