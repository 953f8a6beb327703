import { Worker } from 'node:worker_threads';
import { createLogger } from '../log/logger.ts';
import type { ComponentInfo } from './component-info.ts';

// Runs the control plane's long-lived components (schedulers, controller-managers) as
// worker threads and restarts them when they die, the way kubelet or systemd restart a
// crashed kube-scheduler. A copy can be terminated on purpose (the GUI's control-plane
// panel, `kubelab component kill`) to watch another copy take over its lease.

export type { ComponentInfo };

interface Supervised {
  info: ComponentInfo;
  entry: URL;
  /** Called at every launch: each run of a copy gets fresh data (a new Lease identity). */
  dataForLaunch: () => unknown;
  worker?: Worker;
  restartTimer?: NodeJS.Timeout;
}

const MAX_ACTIONS = 50;
const logger = createLogger('component-supervisor');

export class ComponentSupervisor {
  private readonly components = new Map<string, Supervised>();
  private stopping = false;

  constructor(private readonly restartDelayMs = 3000) {}

  /**
   * Starts a component; it posts {type:'action', action} messages for its recent actions.
   * `dataForLaunch` runs again for every restart, so a restarted copy is a new process to
   * the cluster, as a restarted kube-controller-manager is (client-go's identity is
   * hostname_uuid). Reusing the identity would let a restarted copy "renew" the Lease it held
   * before it died, with none of its old state, instead of competing for it.
   */
  start(name: string, kind: string, entry: URL, dataForLaunch: () => unknown): void {
    const component: Supervised = { info: { name, kind, state: 'starting', restarts: 0, recentActions: [] }, entry, dataForLaunch };
    this.components.set(name, component);
    this.launch(component);
  }

  list(): ComponentInfo[] {
    return [...this.components.values()].map((c) => structuredClone(c.info));
  }

  /** Ends a component's thread at once, mid-work, as a crash would; it is restarted after a delay. */
  async terminate(name: string): Promise<boolean> {
    const component = this.components.get(name);
    if (!component?.worker) return false;
    logger.info('terminating component on request', { component: name });
    await component.worker.terminate();
    return true;
  }

  /** Asks every component to stop (they hand their Leases over), then ends what is left. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.components.values()].map(async (c) => {
        clearTimeout(c.restartTimer);
        c.info.state = 'stopped';
        const worker = c.worker;
        if (!worker) return;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage({ type: 'stop' });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
        clearTimeout(timer);
        await worker.terminate();
      }),
    );
  }

  private launch(component: Supervised): void {
    const worker = new Worker(component.entry, { workerData: component.dataForLaunch() });
    component.worker = worker;
    component.info.state = 'running';
    component.info.startedAt = new Date().toISOString();
    worker.on('message', (message: { type: string; action?: string }) => {
      if (message.type !== 'action' || !message.action) return;
      component.info.recentActions.push({ time: new Date().toISOString(), action: message.action });
      if (component.info.recentActions.length > MAX_ACTIONS) component.info.recentActions.shift();
    });
    worker.on('error', (error) => logger.error('component failed', { component: component.info.name, error: String(error?.stack ?? error) }));
    worker.on('exit', (code) => {
      component.worker = undefined;
      if (this.stopping) return;
      component.info.state = 'restarting';
      component.info.restarts++;
      logger.warn('component exited; restarting', { component: component.info.name, code, inMs: this.restartDelayMs });
      component.restartTimer = setTimeout(() => this.launch(component), this.restartDelayMs);
    });
  }
}
