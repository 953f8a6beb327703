// The strategic-merge-patch metadata of the built-in kinds Kubelab serves: the
// `patchStrategy` / `patchMergeKey` struct tags of k8s.io/api, transcribed.
//
// Only fields that carry a tag, or that lead to a struct holding one, are listed.
// Every other field behaves as an untagged Go field does: maps merge key by key,
// lists are replaced whole (tolerations, envFrom, taints, subsets...).
// `x-kubernetes-list-type` is deliberately absent: the API server's strategic merge
// reads only these struct tags (list types drive server-side apply, not SMP).

export interface FieldPatchMeta {
  /** Struct type of the field's value, or of each list element, when something tagged lies below it. */
  type?: string;
  /** The Go `patchStrategy` tag: `merge`, `replace`, `retainKeys` or `merge,retainKeys`. */
  patchStrategy?: string;
  /** The Go `patchMergeKey` tag. */
  patchMergeKey?: string;
}

type StructPatchMeta = Readonly<Record<string, FieldPatchMeta>>;

const struct = (type: string): FieldPatchMeta => ({ type });
const mergeByKey = (patchMergeKey: string, type?: string): FieldPatchMeta =>
  type ? { patchStrategy: 'merge', patchMergeKey, type } : { patchStrategy: 'merge', patchMergeKey };
/** A list of scalars merged as a set (finalizers, podCIDRs). */
const mergeSet: FieldPatchMeta = { patchStrategy: 'merge' };
/** Every `status.conditions` of the served kinds is keyed by `type`. */
const conditions = mergeByKey('type');
const metadata = struct('ObjectMeta');

// Container and EphemeralContainer (via EphemeralContainerCommon) carry the same tags.
const CONTAINER: StructPatchMeta = {
  ports: mergeByKey('containerPort'),
  env: mergeByKey('name'),
  volumeMounts: mergeByKey('mountPath'),
  volumeDevices: mergeByKey('devicePath'),
};

const STRUCTS: Readonly<Record<string, StructPatchMeta>> = {
  // meta/v1
  ObjectMeta: { ownerReferences: mergeByKey('uid'), finalizers: mergeSet },
  // Any object of a kind this table does not know: only its metadata is known.
  Object: { metadata },

  // core/v1
  Pod: { metadata, spec: struct('PodSpec'), status: struct('PodStatus') },
  PodTemplateSpec: { metadata, spec: struct('PodSpec') },
  PodSpec: {
    volumes: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    initContainers: mergeByKey('name', 'Container'),
    containers: mergeByKey('name', 'Container'),
    ephemeralContainers: mergeByKey('name', 'EphemeralContainer'),
    imagePullSecrets: mergeByKey('name'),
    hostAliases: mergeByKey('ip'),
    topologySpreadConstraints: mergeByKey('topologyKey'),
    schedulingGates: mergeByKey('name'),
    resourceClaims: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  },
  Container: CONTAINER,
  EphemeralContainer: CONTAINER,
  PodStatus: {
    conditions,
    podIPs: mergeByKey('ip'),
    hostIPs: mergeByKey('ip'),
    resourceClaimStatuses: { patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  },
  Service: { metadata, spec: struct('ServiceSpec'), status: struct('ServiceStatus') },
  ServiceSpec: { ports: mergeByKey('port') },
  ServiceStatus: { conditions },
  Node: { metadata, spec: struct('NodeSpec'), status: struct('NodeStatus') },
  NodeSpec: { podCIDRs: mergeSet },
  NodeStatus: { conditions, addresses: mergeByKey('type') },
  Namespace: { metadata, status: struct('NamespaceStatus') },
  NamespaceStatus: { conditions },
  PersistentVolumeClaim: { metadata, status: struct('PersistentVolumeClaimStatus') },
  PersistentVolumeClaimStatus: { conditions },
  ServiceAccount: { metadata, secrets: mergeByKey('name') },

  // apps/v1
  Deployment: { metadata, spec: struct('DeploymentSpec'), status: struct('DeploymentStatus') },
  DeploymentSpec: { template: struct('PodTemplateSpec'), strategy: { patchStrategy: 'retainKeys' } },
  DeploymentStatus: { conditions },
  ReplicaSet: { metadata, spec: struct('ReplicaSetSpec'), status: struct('ReplicaSetStatus') },
  ReplicaSetSpec: { template: struct('PodTemplateSpec') },
  ReplicaSetStatus: { conditions },
  DaemonSet: { metadata, spec: struct('DaemonSetSpec'), status: struct('DaemonSetStatus') },
  DaemonSetSpec: { template: struct('PodTemplateSpec') },
  DaemonSetStatus: { conditions },

  // batch/v1
  Job: { metadata, spec: struct('JobSpec'), status: struct('JobStatus') },
  JobSpec: { template: struct('PodTemplateSpec') },
  JobStatus: { conditions },
  CronJob: { metadata, spec: struct('CronJobSpec') },
  CronJobSpec: { jobTemplate: struct('JobTemplateSpec') },
  JobTemplateSpec: { metadata, spec: struct('JobSpec') },

  // autoscaling/v2
  HorizontalPodAutoscaler: { metadata, status: struct('HorizontalPodAutoscalerStatus') },
  HorizontalPodAutoscalerStatus: { conditions },
};

/** Root struct per `apiVersion/kind`; kinds with nothing tagged beyond metadata use `Object`. */
const ROOTS: Readonly<Record<string, string>> = {
  'v1/Pod': 'Pod',
  'v1/Service': 'Service',
  'v1/Node': 'Node',
  'v1/Namespace': 'Namespace',
  'v1/PersistentVolumeClaim': 'PersistentVolumeClaim',
  'v1/ServiceAccount': 'ServiceAccount',
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'apps/v1/DaemonSet': 'DaemonSet',
  'batch/v1/Job': 'Job',
  'batch/v1/CronJob': 'CronJob',
  'autoscaling/v2/HorizontalPodAutoscaler': 'HorizontalPodAutoscaler',
};

/** The struct a whole object of this kind is patched as. */
export function rootPatchType(apiVersion: string, kind: string): string {
  return ROOTS[`${apiVersion}/${kind}`] ?? 'Object';
}

/** Tags of `field` inside struct `type`; empty for unknown structs and untagged fields. */
export function fieldPatchMeta(type: string | undefined, field: string): FieldPatchMeta {
  if (type === undefined) return {};
  const fields = STRUCTS[type];
  return (fields && Object.hasOwn(fields, field) ? fields[field] : undefined) ?? {};
}

/** Every struct name the table defines, for consistency checks. */
export function knownPatchTypes(): string[] {
  return Object.keys(STRUCTS);
}

/** Every root struct name, for consistency checks. */
export function rootPatchTypes(): string[] {
  return [...new Set(Object.values(ROOTS))];
}
