// Printers for the core, coordination and storage kinds other than pods, after
// Kubernetes' pkg/printers/internalversion/printers.go.

import type {
  ConfigMap,
  Endpoints,
  Event,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { KubeObject } from '../api/kube-object.ts';
import { translateTimestampSince } from '../api/age.ts';
import {
  ageColumn,
  ageOf,
  column,
  formatLabels,
  joinHostPort,
  listWithMore,
  NAME_DESCRIPTION,
  nameColumn,
  wide,
  type KindPrinter,
} from './table-columns-common.ts';

const NODE_ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

/** STATUS: Ready / NotReady / Unknown from the Ready condition, plus SchedulingDisabled when cordoned. */
export function nodeStatus(node: Node): string {
  const status: string[] = [];
  const ready = (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').at(-1);
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** `findNodeRoles`: node-role.kubernetes.io/<role> labels and kubernetes.io/role=<role>, sorted. */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (key.startsWith(NODE_ROLE_LABEL_PREFIX)) {
      const role = key.slice(NODE_ROLE_LABEL_PREFIX.length);
      if (role) roles.add(role);
    } else if (key === NODE_ROLE_LABEL && value) {
      roles.add(value);
    }
  }
  return roles.size === 0 ? '<none>' : [...roles].sort().join(',');
}

function nodeAddress(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

export const nodePrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    wide('Internal-IP', 'List of addresses reachable to the node.'),
    wide('External-IP', 'List of addresses reachable to the node.'),
    wide('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).'),
    wide('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
    wide('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).'),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const node = obj as unknown as Node;
    const info = node.status?.nodeInfo;
    return [
      obj.metadata.name,
      nodeStatus(node),
      nodeRoles(node),
      ageOf(obj, now),
      info?.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

/** `loadBalancerStatusStringer` in wide mode (the server always prints wide): sorted, de-duplicated. */
function loadBalancerIngress(service: Service): string {
  const entries = new Set<string>();
  for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
    if (ingress.ip) entries.add(ingress.ip);
    else if (ingress.hostname) entries.add(ingress.hostname);
  }
  return [...entries].sort().join(',');
}

/** `getServiceExternalIP`. */
export function serviceExternalIP(service: Service): string {
  const externalIPs = service.spec?.externalIPs ?? [];
  switch (service.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lbIPs = loadBalancerIngress(service);
      if (externalIPs.length > 0) return [...(lbIPs ? lbIPs.split(',') : []), ...externalIPs].join(',');
      return lbIPs || '<pending>';
    }
    case 'ExternalName':
      return service.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** `makePortString`: `80/TCP,443:30443/TCP`. */
export function servicePorts(service: Service): string {
  const pieces = (service.spec?.ports ?? []).map((port) => {
    const protocol = port.protocol ?? 'TCP';
    return port.nodePort && port.nodePort > 0 ? `${port.port}:${port.nodePort}/${protocol}` : `${port.port}/${protocol}`;
  });
  return pieces.length === 0 ? '<none>' : pieces.join(',');
}

export const servicePrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn(),
    wide('Selector', 'Route service traffic to pods with label keys and values matching this selector.'),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const service = obj as unknown as Service;
    // clusterIPs is what the API server fills in; clusterIP covers objects written before that.
    const clusterIP = service.spec?.clusterIPs?.[0] || service.spec?.clusterIP || '<none>';
    return [
      obj.metadata.name,
      service.spec?.type ?? 'ClusterIP',
      clusterIP,
      serviceExternalIP(service),
      servicePorts(service),
      ageOf(obj, now),
      formatLabels(service.spec?.selector),
    ];
  },
};

/** `formatEndpoints`: up to three `ip:port`, then `+ N more...`. */
export function formatEndpoints(endpoints: Endpoints): string {
  const subsets = endpoints.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  for (const subset of subsets) {
    const addresses = subset.addresses ?? [];
    if (!subset.ports || subset.ports.length === 0) {
      // Headless services may have no ports.
      list.push(...addresses.map((a) => a.ip));
      continue;
    }
    for (const port of subset.ports) {
      list.push(...addresses.map((a) => joinHostPort(a.ip, port.port)));
    }
  }
  return listWithMore(list, 3, '');
}

export const endpointsPrinter: KindPrinter = {
  columns: [nameColumn(), column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'), ageColumn()],
  cells(obj: KubeObject, now: Date): unknown[] {
    return [obj.metadata.name, formatEndpoints(obj as unknown as Endpoints), ageOf(obj, now)];
  },
};

export const namespacePrinter: KindPrinter = {
  columns: [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
  cells(obj: KubeObject, now: Date): unknown[] {
    return [obj.metadata.name, (obj as unknown as Namespace).status?.phase ?? '', ageOf(obj, now)];
  },
};

export const configMapPrinter: KindPrinter = {
  columns: [nameColumn(), column('Data', 'string', 'Data contains the configuration data.'), ageColumn()],
  cells(obj: KubeObject, now: Date): unknown[] {
    const configMap = obj as unknown as ConfigMap;
    const count = Object.keys(configMap.data ?? {}).length + Object.keys(configMap.binaryData ?? {}).length;
    return [obj.metadata.name, count, ageOf(obj, now)];
  },
};

export const secretPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Data contains the secret data.'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const secret = obj as unknown as Secret;
    // Secrets written with stringData only are merged into data on write; count both to be safe.
    const keys = new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]);
    return [obj.metadata.name, secret.type ?? 'Opaque', keys.size, ageOf(obj, now)];
  },
};

export const serviceAccountPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Secrets', 'string', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    return [obj.metadata.name, (obj as unknown as ServiceAccount).secrets?.length ?? 0, ageOf(obj, now)];
  },
};

/** `formatEventSource`: `component, host`, falling back to reportingController/Instance. */
function eventSource(event: Event): string {
  const component = event.source?.component || event.reportingComponent || '';
  const instance = event.source?.host || event.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: KindPrinter = {
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    column('Object', 'string', 'The object that this event is about.'),
    wide('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.'),
    wide('Source', 'The component reporting this event. Should be a short machine understandable string.'),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    wide('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)'),
    wide('Count', 'The number of times this event has occurred.'),
    column('Name', 'string', NAME_DESCRIPTION, { format: 'name', priority: 1 }),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const event = obj as unknown as Event;
    const firstSeen = event.firstTimestamp
      ? translateTimestampSince(event.firstTimestamp, now)
      : translateTimestampSince(event.eventTime, now);
    let lastSeen = event.lastTimestamp ? translateTimestampSince(event.lastTimestamp, now) : firstSeen;
    let count = event.count ?? 0;
    if (event.series) {
      lastSeen = translateTimestampSince(event.series.lastObservedTime, now);
      count = event.series.count ?? 0;
    } else if (count === 0) {
      // Singleton events of the events.k8s.io API carry no count.
      count = 1;
    }
    const involved = event.involvedObject;
    const kind = (involved?.kind ?? '').toLowerCase();
    const target = involved?.name ? `${kind}/${involved.name}` : kind;
    return [
      lastSeen,
      event.type ?? '',
      event.reason ?? '',
      target,
      involved?.fieldPath ?? '',
      eventSource(event),
      (event.message ?? '').trim(),
      firstSeen,
      count,
      obj.metadata.name,
    ];
  },
};

const ACCESS_MODE_SHORT_NAMES: [mode: string, short: string][] = [
  ['ReadWriteOnce', 'RWO'],
  ['ReadOnlyMany', 'ROX'],
  ['ReadWriteMany', 'RWX'],
  ['ReadWriteOncePod', 'RWOP'],
];

/** `GetAccessModesAsString`: `RWO,RWX` in this fixed order. */
export function accessModesString(modes: string[] | undefined): string {
  const present = new Set(modes ?? []);
  return ACCESS_MODE_SHORT_NAMES.filter(([mode]) => present.has(mode))
    .map(([, short]) => short)
    .join(',');
}

const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function storageClassOf(obj: KubeObject, specClassName: string | undefined): string {
  const annotation = obj.metadata.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  return annotation ?? specClassName ?? '';
}

export const persistentVolumePrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    column('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    column('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    column('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageColumn(),
    wide('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.'),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const volume = obj as unknown as PersistentVolume;
    const spec = volume.spec ?? {};
    const claimRef = spec.claimRef ? `${spec.claimRef.namespace ?? ''}/${spec.claimRef.name ?? ''}` : '';
    const phase = obj.metadata.deletionTimestamp ? 'Terminating' : (volume.status?.phase ?? '');
    return [
      obj.metadata.name,
      spec.capacity?.storage ?? '0',
      accessModesString(spec.accessModes),
      spec.persistentVolumeReclaimPolicy ?? '',
      phase,
      claimRef,
      storageClassOf(obj, spec.storageClassName),
      spec.volumeAttributesClassName ?? '<unset>',
      volume.status?.reason ?? '',
      ageOf(obj, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};

export const persistentVolumeClaimPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    column('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    column('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    wide('VolumeMode', 'volumeMode defines what type of volume is required by the claim.'),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const claim = obj as unknown as PersistentVolumeClaim;
    const spec = claim.spec ?? {};
    const phase = obj.metadata.deletionTimestamp ? 'Terminating' : (claim.status?.phase ?? '');
    // Capacity and modes are the bound volume's, so they stay empty until the claim is bound.
    const bound = Boolean(spec.volumeName);
    return [
      obj.metadata.name,
      phase,
      spec.volumeName ?? '',
      bound ? (claim.status?.capacity?.storage ?? '0') : '',
      bound ? accessModesString(claim.status?.accessModes) : '',
      storageClassOf(obj, spec.storageClassName ?? undefined),
      spec.volumeAttributesClassName ?? '<unset>',
      ageOf(obj, now),
      spec.volumeMode ?? '<unset>',
    ];
  },
};

export const leasePrinter: KindPrinter = {
  columns: [nameColumn(), column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), ageColumn()],
  cells(obj: KubeObject, now: Date): unknown[] {
    return [obj.metadata.name, (obj as unknown as Lease).spec?.holderIdentity ?? '', ageOf(obj, now)];
  },
};

const DEFAULT_STORAGE_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
];

export const storageClassPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    column('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    column('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    column('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const storageClass = obj as unknown as StorageClass;
    const annotations = obj.metadata.annotations ?? {};
    const isDefault = DEFAULT_STORAGE_CLASS_ANNOTATIONS.some((key) => annotations[key] === 'true');
    return [
      isDefault ? `${obj.metadata.name} (default)` : obj.metadata.name,
      storageClass.provisioner ?? '',
      storageClass.reclaimPolicy ?? 'Delete',
      storageClass.volumeBindingMode ?? 'Immediate',
      storageClass.allowVolumeExpansion ?? false,
      ageOf(obj, now),
    ];
  },
};
