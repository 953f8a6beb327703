import { ApiError } from '../api/errors.ts';

// Content negotiation for reads: plain JSON, a meta.k8s.io Table (kubectl get), or
// PartialObjectMetadata (metadata-only clients), chosen from the Accept header the
// way Kubernetes does: the first acceptable entry wins.

export type ResponseFormat =
  | { kind: 'json' }
  | { kind: 'table'; includeObject: 'None' | 'Metadata' | 'Object' }
  | { kind: 'metadata' };

export function negotiateFormat(accept: string | undefined, params: URLSearchParams): ResponseFormat {
  if (!accept) return { kind: 'json' };
  for (const entry of accept.split(',')) {
    const [type, ...rawParams] = entry.split(';').map((s) => s.trim());
    const p = new Map(rawParams.map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
    const jsonLike = type === 'application/json' || type === '*/*' || type === 'application/*';
    if (!jsonLike) continue;
    const as = p.get('as');
    if (!as) return { kind: 'json' };
    if (p.get('g') !== 'meta.k8s.io' || (p.get('v') !== 'v1' && p.get('v') !== 'v1beta1')) continue;
    if (as === 'Table') {
      const include = params.get('includeObject');
      return { kind: 'table', includeObject: include === 'Object' || include === 'None' ? include : 'Metadata' };
    }
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { kind: 'metadata' };
  }
  throw new ApiError(406, 'NotAcceptable', `only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io (got "${accept}")`);
}

export function partialMetadata(obj: { metadata: unknown }): object {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}
