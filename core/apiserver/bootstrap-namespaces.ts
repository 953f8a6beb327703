import { ApiError } from '../api/errors.ts';
import { findByPlural } from '../api/resource-catalog.ts';
import type { ResourceService } from './resource-service.ts';

// The namespaces every Kubernetes cluster starts with; kubectl and controllers expect them.
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export async function ensureSystemNamespaces(service: ResourceService): Promise<void> {
  const info = findByPlural('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await service.create({ info, namespace: '', name: '', subresource: '' }, { metadata: { name } });
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}
