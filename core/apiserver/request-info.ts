import { findByPlural, type ResourceInfo } from '../api/resource-catalog.ts';

// What a resource URL names, as Kubernetes' RequestInfoResolver splits it:
//   /api/v1/namespaces/NS/pods/NAME/status
//   /apis/apps/v1/deployments            (across namespaces)
//   /api/v1/namespaces/NAME              (the namespace object itself)

export interface ResourceRequest {
  info: ResourceInfo;
  /** '' for cluster-scoped requests and for lists across every namespace. */
  namespace: string;
  /** '' for a collection. */
  name: string;
  /** '' for the object itself. */
  subresource: string;
}

export type ParsedPath =
  | { kind: 'resource'; request: ResourceRequest }
  /** The group version exists but not the resource: answer 404 NotFound with a useful message. */
  | { kind: 'unknown-resource'; group: string; version: string; plural: string }
  | { kind: 'other' };

export function parseResourcePath(pathname: string): ParsedPath {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return { kind: 'other' };
  }

  let namespace = '';
  // `namespaces/X/<resource>...` addresses a namespaced resource; `namespaces/X` and
  // `namespaces/X/status|finalize` address the Namespace object.
  const namespaceSubresource = group === '' && ['status', 'finalize'].includes(rest[2]);
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresource) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name = '', subresource = '', ...extra] = rest;
  if (extra.length > 0) return { kind: 'other' };
  const info = findByPlural(group, version, plural);
  if (!info) return { kind: 'unknown-resource', group, version, plural };
  if (!info.namespaced && namespace) return { kind: 'unknown-resource', group, version, plural };
  return { kind: 'resource', request: { info, namespace, name, subresource } };
}
