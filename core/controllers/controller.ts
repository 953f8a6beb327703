import type { EventRecorder } from '../client/event-recorder.ts';
import type { InformerFactory } from '../client/informer-factory.ts';
import type { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import type { ControllerSettings } from './controller-settings.ts';

// What every controller gets and what it must provide. Shaped like Kubernetes'
// controllers: event handlers only enqueue keys; all logic is in one sync(key) that
// re-reads from the informer cache, treats "not found" as deleted, computes the
// difference, acts through the API, and always writes status.

export interface ControllerContext {
  client: RestClient;
  informers: InformerFactory;
  recorder: EventRecorder;
  settings: ControllerSettings;
  logger: Logger;
  /** Aborted when this copy stops leading or shuts down. */
  signal: AbortSignal;
  /** Records a one-line action for the control-plane panel ("scaled ReplicaSet web-123 to 3"). */
  reportAction(action: string): void;
}

export interface Controller {
  readonly name: string;
  /**
   * Registers handlers on shared informers (before they start) and begins processing
   * once they have synced; resolves when ctx.signal aborts and every worker is done.
   */
  run(ctx: ControllerContext): Promise<void>;
}

/** A controller is made from its context's dependencies by a factory: one file, one factory. */
export type ControllerFactory = () => Controller;
