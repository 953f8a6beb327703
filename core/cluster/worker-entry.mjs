// Every control-plane worker thread starts here: worker threads start without the
// TypeScript loader the main thread uses, so this plain-JS entry registers it, then
// loads the worker's module (workerData.module, relative to this file).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(new URL(workerData.module, import.meta.url).href);
