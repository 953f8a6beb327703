// The kinds this control plane serves. Discovery, routing, defaulting, validation,
// tables and the renderer all read this one list, so a new kind is added here once.

export interface ResourceInfo {
  group: string; // '' for the core group
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** Subresources served besides the object itself. */
  subresources: ('status' | 'scale' | 'binding' | 'log' | 'exec' | 'attach' | 'portforward' | 'proxy')[];
  categories: string[];
}

const CRUD_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resource(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  shortNames: string[] = [],
  subresources: ResourceInfo['subresources'] = [],
  categories: string[] = [],
): ResourceInfo {
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames,
    subresources,
    categories,
  };
}

export const RESOURCES: readonly ResourceInfo[] = [
  resource('', 'v1', 'Namespace', 'namespaces', false, ['ns'], ['status']),
  resource('', 'v1', 'Node', 'nodes', false, ['no'], ['status']),
  resource('', 'v1', 'Pod', 'pods', true, ['po'], ['status', 'binding', 'log', 'exec', 'attach', 'portforward'], ['all']),
  resource('', 'v1', 'Service', 'services', true, ['svc'], ['status', 'proxy'], ['all']),
  resource('', 'v1', 'Endpoints', 'endpoints', true, ['ep']),
  resource('', 'v1', 'ConfigMap', 'configmaps', true, ['cm']),
  resource('', 'v1', 'Secret', 'secrets', true),
  resource('', 'v1', 'PersistentVolume', 'persistentvolumes', false, ['pv'], ['status']),
  resource('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc'], ['status']),
  resource('', 'v1', 'Event', 'events', true, ['ev']),
  resource('', 'v1', 'ServiceAccount', 'serviceaccounts', true, ['sa']),
  resource('apps', 'v1', 'Deployment', 'deployments', true, ['deploy'], ['status', 'scale'], ['all']),
  resource('apps', 'v1', 'ReplicaSet', 'replicasets', true, ['rs'], ['status', 'scale'], ['all']),
  resource('apps', 'v1', 'DaemonSet', 'daemonsets', true, ['ds'], ['status'], ['all']),
  resource('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true),
  resource('batch', 'v1', 'Job', 'jobs', true, [], ['status'], ['all']),
  resource('batch', 'v1', 'CronJob', 'cronjobs', true, ['cj'], ['status'], ['all']),
  resource('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  resource('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, ['hpa'], ['status'], ['all']),
  resource('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, ['sc']),
];

/** The verbs discovery reports for the object itself. */
export function verbsOf(_info: ResourceInfo): string[] {
  return CRUD_VERBS;
}

export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** Key for maps of resources: `pods`, `deployments.apps`. */
export function resourceKey(info: Pick<ResourceInfo, 'group' | 'plural'>): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

export function findByPlural(group: string, version: string, plural: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
}

/** Group versions served, in discovery order. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(apiVersionOf(r), { group: r.group, version: r.version });
  return [...seen.values()];
}

/** The group/resource pair error messages name (`deployments.apps`). */
export function refOf(info: Pick<ResourceInfo, 'group' | 'plural'>): { group: string; resource: string } {
  return { group: info.group, resource: info.plural };
}
