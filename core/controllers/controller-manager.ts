import { setMaxListeners } from 'node:events';
import { EventRecorder } from '../client/event-recorder.ts';
import { InformerFactory } from '../client/informer-factory.ts';
import type { RestClient } from '../client/rest-client.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import type { ControllerContext, ControllerFactory } from './controller.ts';
import type { ControllerSettings } from './controller-settings.ts';
import { runWithLeaderElection } from './leader-election.ts';

// kube-controller-manager: every copy campaigns for the Lease `kube-system/kube-controller-manager`;
// only the leader runs controllers. Leading starts from scratch (fresh informers, fresh
// expectations), so a copy that takes over trusts nothing but what it lists. Losing the
// Lease stops everything and ends this function with LeadershipLostError, as the real
// binary exits: the host decides whether to start a new copy.

export const CONTROLLER_MANAGER_LEASE = 'kube-controller-manager';

export interface ControllerManagerOptions {
  client: RestClient;
  /** Unique per copy, e.g. `hostname_uuid`. */
  identity: string;
  settings: ControllerSettings;
  controllers: ControllerFactory[];
  logger?: Logger;
  reportAction?: (action: string) => void;
  /** Told the holder's identity whenever leadership changes hands. */
  onNewLeader?: (identity: string) => void;
  /** Default true: a clean stop hands the Lease over at once. False keeps it until it expires (as a crash would). */
  releaseOnCancel?: boolean;
  signal: AbortSignal;
}

export class LeadershipLostError extends Error {
  constructor(readonly identity: string) {
    super(`controller-manager ${identity} lost its leader lease; restart it to campaign again`);
    this.name = 'LeadershipLostError';
  }
}

/** Resolves when `signal` aborts; rejects with LeadershipLostError when the Lease is lost. */
export async function runControllerManager(options: ControllerManagerOptions): Promise<void> {
  const logger = options.logger ?? createLogger('kube-controller-manager');
  const { settings } = options;
  const outcome = await runWithLeaderElection({
    client: options.client,
    namespace: 'kube-system',
    name: CONTROLLER_MANAGER_LEASE,
    identity: options.identity,
    leaseDurationSeconds: settings.leaseDurationSeconds,
    renewDeadlineSeconds: settings.renewDeadlineSeconds,
    retryPeriodSeconds: settings.retryPeriodSeconds,
    releaseOnCancel: options.releaseOnCancel,
    signal: options.signal,
    logger,
    onNewLeader: (identity) => {
      logger.info('new leader', { lease: `kube-system/${CONTROLLER_MANAGER_LEASE}`, identity });
      options.onNewLeader?.(identity);
    },
    onStartedLeading: (leading) => runControllers(options, logger, leading),
  });
  if (outcome === 'lost') throw new LeadershipLostError(options.identity);
}

async function runControllers(options: ControllerManagerOptions, logger: Logger, leading: AbortSignal): Promise<void> {
  // Every controller and shared informer listens on this one signal.
  setMaxListeners(200, leading);
  const informers = new InformerFactory(options.client, {
    onError: (error) => logger.warn('informer error', { error: String(error) }),
  });
  const runs: Promise<void>[] = [];
  for (const factory of options.controllers) {
    const controller = factory();
    const controllerLogger = options.logger ?? createLogger(controller.name);
    const ctx: ControllerContext = {
      client: options.client,
      informers,
      recorder: new EventRecorder(options.client, { component: controller.name, logger: controllerLogger }),
      settings: options.settings,
      logger: controllerLogger,
      signal: leading,
      reportAction: options.reportAction ?? (() => {}),
    };
    // run() registers its informer handlers synchronously, before its first await, so all
    // of them are in place when the informers start below and none misses the initial list.
    runs.push(
      controller.run(ctx).catch((error: unknown) => {
        logger.error('controller failed', { controller: controller.name, error: String(error) });
      }),
    );
  }
  informers.start();
  logger.info('controllers started', { count: runs.length });
  try {
    await Promise.all(runs);
  } finally {
    informers.stop();
  }
}
