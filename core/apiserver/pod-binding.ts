import { badRequest, conflict, fieldError, invalid } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { refOf, resourceKey } from '../api/resource-catalog.ts';
import { rfc3339 } from './object-lifecycle.ts';
import type { ResourceRequest } from './request-info.ts';
import type { ResourceService } from './resource-service.ts';

// pods/binding: how the scheduler assigns a pod to a node. It sets spec.nodeName once
// (a second binding is a Conflict, so two schedulers can never both win), marks the pod
// PodScheduled and copies the Binding's annotations onto the pod, all in one write
// (Kubernetes' setPodHostAndAnnotations): the scheduler's explanation needs no write of its own.

interface Binding {
  metadata?: { name?: string; annotations?: Record<string, string> };
  target?: { kind?: string; name?: string };
}

export async function bindPod(service: ResourceService, r: ResourceRequest, body: Record<string, unknown>, dryRun: boolean): Promise<void> {
  const binding = body as Binding;
  const podName = r.name || binding.metadata?.name || '';
  if (binding.metadata?.name && r.name && binding.metadata.name !== r.name) {
    throw badRequest(`the name of the binding (${binding.metadata.name}) does not match the pod name on the URL (${r.name})`);
  }
  const nodeName = binding.target?.name;
  if (!nodeName) throw invalid('Binding', '', podName, [fieldError.required('target.name', 'the node to bind the pod to')]);
  if (binding.target?.kind && binding.target.kind !== 'Node') {
    throw invalid('Binding', '', podName, [fieldError.notSupported('target.kind', binding.target.kind, ['Node'])]);
  }
  const podRequest: ResourceRequest = { ...r, name: podName, subresource: '' };
  const pod = await service.get(podRequest);
  const spec = pod.spec as { nodeName?: string };
  if (pod.metadata.deletionTimestamp) throw conflict(refOf(r.info), podName, 'pod is being deleted, cannot be assigned to a host');
  if (spec.nodeName) throw conflict(refOf(r.info), podName, `pod ${podName} is already assigned to node "${spec.nodeName}"`);
  // One write for node and condition, against the version read above: a concurrent
  // binding makes this a Conflict instead of a second assignment.
  const next = structuredClone(pod) as KubeObject & { spec: { nodeName?: string }; status?: { conditions?: { type: string; [field: string]: unknown }[] } };
  next.spec.nodeName = nodeName;
  if (binding.metadata?.annotations) next.metadata.annotations = { ...next.metadata.annotations, ...binding.metadata.annotations };
  next.status = {
    ...next.status,
    conditions: [
      ...(next.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(new Date()) },
    ],
  };
  if (!dryRun) await service.store.update(resourceKey(r.info), next);
}
