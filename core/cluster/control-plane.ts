import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ApiWorkerData } from '../apiserver/api-worker.ts';
import { KUBERNETES_CONTROLLER_SETTINGS, LAB_CONTROLLER_SETTINGS } from '../controllers/controller-settings.ts';
import { createLogger } from '../log/logger.ts';
import { acquireDataDirLock } from '../store/data-dir-lock.ts';
import { removeStoredData } from '../store/stored-data.ts';
import type { AgentsWorkerData, LeaveOnNodes } from './agents-worker.ts';
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
  /** Told when a reset asked through the API (the GUI, `kubelab reset`) has finished. */
  onReset?: (result: ResetResult) => void;
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
  /**
   * Stops the control plane. `leave` says what stays on the nodes: 'pods' (default: they
   * keep running and the next start adopts them, as after a kubelet restart) or
   * 'volumes' (the pods' containers are removed and lab nodes stopped; the next start
   * runs the pods again from the stored objects).
   */
  stop(options?: { leave?: 'pods' | 'volumes' }): Promise<void>;
  /**
   * `kubelab reset`: removes every container, volume and lab node of the cluster from
   * every node, deletes its objects, and (unless `restart` is false) starts again as a
   * new, empty cluster on the same address with the same token and certificates.
   */
  reset(options?: { restart?: boolean }): Promise<ResetResult>;
}

export interface ResetResult {
  containers: number;
  volumes: number;
  networks: number;
  labNodes: number;
  /** Nodes that could not be cleaned (unreachable daemons): what is left there, and why. */
  problems: string[];
}

/** The workers of one run of the control plane; a reset stops them and starts new ones. */
interface Running {
  api: StartedApi;
  stop(leave: LeaveOnNodes): Promise<Partial<ResetResult> | undefined>;
}

const logger = createLogger('control-plane');
const WORKER_ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const paths = dataPaths(options.dataDir);
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireDataDirLock(paths.dataDir);
  try {
    const token = await loadOrCreateToken(paths.tokenFile);
    const certs = await loadOrCreateServingCerts(paths.dataDir);
    const rendererDir = await ensureRendererBuilt();
    const launchAt = (port: number, preferredPort?: number) => launch(options, { token, certs, rendererDir, port, preferredPort, onReset: () => reset() });
    let running = await launchAt(options.port ?? 0, options.port === undefined ? await previousPort(paths.stateFile) : undefined);
    const { api } = running;

    const kubeconfigPath = options.kubeconfigPath ?? paths.kubeconfig;
    await writeKubeconfig(kubeconfigPath, api.url, token, certs.caCert);
    await writeFile(paths.stateFile, `${JSON.stringify({ port: api.port, url: api.url, httpUrl: api.httpUrl, pid: process.pid }, null, 2)}\n`, { mode: 0o600 });

    // One stop or reset at a time; a stop waits for a reset under way.
    let busy: Promise<unknown> = Promise.resolve();
    let stopping: Promise<void> | undefined;
    const reset = (resetOptions: { restart?: boolean } = {}): Promise<ResetResult> => {
      const run = busy.then(async () => {
        if (stopping) throw new Error('kubelab is stopping');
        const removed = await running.stop('nothing');
        // The objects go with their containers; token, certificates and kubeconfig stay,
        // so kubectl and an open GUI reconnect to the new cluster.
        await removeStoredData(paths.dataDir);
        await rm(join(paths.dataDir, 'nodes'), { recursive: true, force: true });
        const result: ResetResult = { containers: 0, volumes: 0, networks: 0, labNodes: 0, problems: [], ...removed };
        logger.info('cluster reset', { ...result });
        if (resetOptions.restart !== false) {
          running = await launchAt(api.port);
          options.onReset?.(result);
        } else {
          running = { api, stop: async () => undefined };
        }
        return result;
      });
      busy = run.catch(() => undefined);
      return run;
    };
    return {
      url: api.url,
      httpUrl: api.httpUrl,
      guiUrl: rendererDir ? `${api.httpUrl}/#token=${encodeURIComponent(token)}` : undefined,
      port: api.port,
      token,
      kubeconfigPath,
      dataFile: paths.dataFile,
      reset,
      stop: (stopOptions = {}) =>
        (stopping ??= busy
          .then(() => running.stop(stopOptions.leave ?? 'pods'))
          .then(() => undefined)
          .finally(() => lock.release())),
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

interface LaunchSettings {
  token: string;
  certs: { cert: string; key: string };
  rendererDir: string | undefined;
  port: number;
  preferredPort?: number;
  onReset: () => Promise<ResetResult>;
}

/** Starts the API worker, the node agents and the supervised components; stops them again on failure. */
async function launch(options: ControlPlaneOptions, settings: LaunchSettings): Promise<Running> {
  const paths = dataPaths(options.dataDir);
  const supervisor = new ComponentSupervisor();
  const started: Worker[] = [];
  let agents: Worker | undefined;
  const stopAll = async (leave: LeaveOnNodes) => {
    await supervisor.stop();
    // Agents before the API: they stop their loops (and clean up, on a reset) while it still answers.
    const result = agents ? await stopWorker(agents, leave) : undefined;
    for (const worker of started.reverse()) if (worker !== agents) await stopWorker(worker);
    return result as Partial<ResetResult> | undefined;
  };
  try {
    const host = options.host ?? '127.0.0.1';
    const api = await startApiWorker(
      { dataFile: paths.dataFile, token: settings.token, host, port: settings.port, tls: { cert: settings.certs.cert, key: settings.certs.key }, rendererDir: settings.rendererDir },
      settings.preferredPort,
    );
    started.push(api.worker);
    answerHostRequests(api.worker, supervisor, settings.onReset);

    const lab = options.timings === 'lab';
    const agentsData: AgentsWorkerData = { apiUrl: api.httpUrl, token: settings.token, dataDir: paths.dataDir, timings: lab ? 'lab' : 'kubernetes', localNode: options.localNode ?? true };
    agents = (await startWorker('./agents-worker.ts', agentsData)).worker;
    started.push(agents);

    const controllerSettings = lab ? LAB_CONTROLLER_SETTINGS : KUBERNETES_CONTROLLER_SETTINGS;
    const component = (kind: string, module: string, copies: number) => {
      for (let i = 1; i <= copies; i++) {
        const name = `${kind}-${i}`;
        const dataForLaunch = (): ComponentWorkerData => ({
          module,
          apiUrl: api.httpUrl,
          token: settings.token,
          identity: `${name}-${randomBytes(3).toString('hex')}`,
          settings: controllerSettings,
          timings: lab ? 'lab' : 'kubernetes',
        });
        supervisor.start(name, kind, WORKER_ENTRY, dataForLaunch);
      }
    };
    component('scheduler', './scheduler-worker.ts', options.schedulers ?? 1);
    component('controller-manager', './controller-manager-worker.ts', options.controllerManagers ?? 1);
    return { api, stop: stopAll };
  } catch (error) {
    await stopAll('pods');
    throw error;
  }
}

/**
 * The API server asks the host about components (GET/terminate under /kubelab/v1/components)
 * and for a reset (POST /kubelab/v1/reset), which is answered at once and runs after:
 * it stops this very API worker.
 */
function answerHostRequests(api: Worker, supervisor: ComponentSupervisor, reset: () => Promise<ResetResult>): void {
  api.on('message', async (message: { type: string; id?: number; op?: string; name?: string }) => {
    if (message.type !== 'components') return;
    let result: unknown;
    if (message.op === 'terminate') result = await supervisor.terminate(message.name ?? '');
    else if (message.op === 'reset') result = true;
    else result = supervisor.list();
    api.postMessage({ type: 'components-reply', id: message.id, result });
    if (message.op === 'reset') {
      reset().catch((error: Error) => logger.error('reset failed', { error: error.message }));
    }
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

/** Asks the worker to stop and returns what its 'stopped' message carried (the agents' clean-up). */
async function stopWorker(worker: Worker, leave?: LeaveOnNodes): Promise<unknown> {
  let result: unknown;
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (m: { type: string; result?: unknown }) => {
      if (m.type !== 'stopped') return;
      result = m.result;
      resolve();
    });
    worker.on('exit', () => resolve());
  });
  worker.postMessage({ type: 'stop', ...(leave ? { leave } : {}) });
  // A worker stuck in a flush still gets a bounded time to finish it; removing a whole
  // cluster's containers gets longer. The timer must not keep the process alive once
  // the worker has stopped.
  let timer: NodeJS.Timeout | undefined;
  const bound = leave && leave !== 'pods' ? 300_000 : 10_000;
  await Promise.race([stopped, new Promise((r) => (timer = setTimeout(r, bound)))]);
  clearTimeout(timer);
  await worker.terminate();
  return result;
}
