import { badRequest, conflict, fieldError, invalid } from '../api/errors.ts';
import { refOf } from '../api/resource-catalog.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { selectorFromLabelSelector } from '../api/label-selector.ts';
import { applyPatch, type PatchType } from './apply-patch.ts';
import type { ResourceRequest } from './request-info.ts';
import type { ResourceService } from './resource-service.ts';

// The scale subresource (autoscaling/v1 Scale) of Deployments and ReplicaSets:
// `kubectl scale`, the HPA and the GUI's drag-to-scale all write replicas through it.

interface Scalable {
  spec?: { replicas?: number; selector?: Parameters<typeof selectorFromLabelSelector>[0] };
  status?: { replicas?: number };
}

export function scaleOf(obj: KubeObject): KubeObject {
  const { spec, status } = obj as KubeObject & Scalable;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec?.replicas ?? 0 },
    status: { replicas: status?.replicas ?? 0, selector: selectorFromLabelSelector(spec?.selector).toString() },
  };
}

export async function getScale(service: ResourceService, r: ResourceRequest): Promise<KubeObject> {
  return scaleOf(await service.get(parentOf(r)));
}

export async function updateScale(service: ResourceService, r: ResourceRequest, body: Record<string, unknown>, dryRun: boolean): Promise<KubeObject> {
  const parent = await service.get(parentOf(r));
  return scaleOf(await writeReplicas(service, r, parent, body as unknown as KubeObject, dryRun));
}

export async function patchScale(service: ResourceService, r: ResourceRequest, type: PatchType, patch: unknown, dryRun: boolean): Promise<KubeObject> {
  const parent = await service.get(parentOf(r));
  const patched = applyPatch(type, scaleOf(parent), patch, 'autoscaling/v1', 'Scale') as unknown as KubeObject;
  return scaleOf(await writeReplicas(service, r, parent, patched, dryRun));
}

async function writeReplicas(service: ResourceService, r: ResourceRequest, parent: KubeObject, scale: KubeObject, dryRun: boolean): Promise<KubeObject> {
  const replicas = (scale as { spec?: { replicas?: unknown } }).spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid('Scale', 'autoscaling', r.name, [fieldError.invalid('spec.replicas', replicas, 'must be a non-negative integer')]);
  }
  const precondition = scale.metadata?.resourceVersion;
  if (precondition && precondition !== parent.metadata.resourceVersion) {
    throw conflict(refOf(r.info), r.name, 'the object has been modified; please apply your changes to the latest version and try again');
  }
  if (scale.metadata?.name && scale.metadata.name !== r.name) throw badRequest(`the name of the object (${scale.metadata.name}) does not match the name on the URL (${r.name})`);
  const next = structuredClone(parent) as KubeObject & Scalable;
  next.spec = { ...next.spec, replicas };
  return service.update(parentOf(r), next as unknown as Record<string, unknown>, { dryRun });
}

function parentOf(r: ResourceRequest): ResourceRequest {
  return { ...r, subresource: '' };
}
