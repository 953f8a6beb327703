import type { ControllerSettings } from '../controllers/controller-settings.ts';

/** What a scheduler or controller-manager worker thread is started with. */
export interface ComponentWorkerData {
  /** The worker module, relative to worker-entry.mjs. */
  module: string;
  /** Plain-HTTP API address on loopback. */
  apiUrl: string;
  token: string;
  /** Unique per run of a copy: the Lease holder identity (`controller-manager-1-k2x9a`). */
  identity: string;
  settings: ControllerSettings;
  timings: 'kubernetes' | 'lab';
}
