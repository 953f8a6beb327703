// Worker threads start without the TypeScript loader the main thread uses; this
// plain-JS entry registers it, then loads the worker itself.
import { register } from 'tsx/esm/api';

register();
await import('./agents-worker.ts');
