import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, methodNotAllowed } from '../api/errors.ts';
import type { ComponentInfo } from '../cluster/component-supervisor.ts';
import { writeJson } from './http-io.ts';

// Kubelab's own small API next to Kubernetes': the control plane's components (which
// scheduler and controller-manager copies run, their restarts and latest actions), and
// terminating one copy to watch another take over its lease. Served under /kubelab/v1
// behind the same token as everything else.
//
//   GET  /kubelab/v1/components                  -> { items: ComponentInfo[] }
//   POST /kubelab/v1/components/NAME/terminate   -> 202 { terminated: NAME }
//   POST /kubelab/v1/reset                       -> 202 { reset: 'started' }: the host removes every
//        container, volume and lab node of the cluster and its objects, then starts a new, empty
//        cluster on the same address (this API server stops and comes back meanwhile).

export interface ComponentsPort {
  list(): Promise<ComponentInfo[]>;
  terminate(name: string): Promise<boolean>;
  reset(): Promise<boolean>;
}

export const COMPONENTS_PREFIX = '/kubelab/v1/components';
export const RESET_PATH = '/kubelab/v1/reset';

export async function serveReset(req: IncomingMessage, res: ServerResponse, port: ComponentsPort | undefined): Promise<void> {
  if (!port) throw new ApiError(404, 'NotFound', 'this API server runs without a host that can reset the cluster');
  if (req.method !== 'POST') throw methodNotAllowed('POST resets the cluster');
  await port.reset();
  return writeJson(res, 202, { reset: 'started' });
}

export async function serveComponents(req: IncomingMessage, res: ServerResponse, path: string, port: ComponentsPort | undefined): Promise<void> {
  if (!port) throw new ApiError(404, 'NotFound', 'this API server runs without supervised components');
  const rest = path.slice(COMPONENTS_PREFIX.length).split('/').filter(Boolean);
  if (rest.length === 0) {
    if (req.method !== 'GET') throw methodNotAllowed('GET lists the components');
    return writeJson(res, 200, { items: await port.list() });
  }
  if (rest.length === 2 && rest[1] === 'terminate') {
    if (req.method !== 'POST') throw methodNotAllowed('POST terminates a component');
    if (!(await port.terminate(rest[0]))) throw new ApiError(404, 'NotFound', `component "${rest[0]}" is not running; GET ${COMPONENTS_PREFIX} lists them`);
    return writeJson(res, 202, { terminated: rest[0] });
  }
  throw new ApiError(404, 'NotFound', `no such path under ${COMPONENTS_PREFIX}`);
}
