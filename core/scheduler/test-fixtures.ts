import type { Container, Node, NodeSpec, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';

// Small builders for scheduler tests: nodes and pods as plain objects, the way the
// API would hand them out.

export interface NodeFixture {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(name: string, fixture: NodeFixture = {}): Node {
  const spec: NodeSpec = {};
  if (fixture.taints) spec.taints = fixture.taints;
  if (fixture.unschedulable) spec.unschedulable = true;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...fixture.labels } },
    spec,
    status: {
      allocatable: { cpu: fixture.cpu ?? '4', memory: fixture.memory ?? '8Gi', pods: fixture.pods ?? '110' },
      capacity: { cpu: fixture.cpu ?? '4', memory: fixture.memory ?? '8Gi', pods: fixture.pods ?? '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
      ...(fixture.images ? { images: fixture.images } : {}),
    },
  };
}

export interface PodFixture {
  namespace?: string;
  cpu?: string;
  memory?: string;
  nodeName?: string;
  labels?: Record<string, string>;
  image?: string;
  spec?: Partial<PodSpec>;
  container?: Partial<Container>;
  ownerUid?: string;
}

export function makePod(name: string, fixture: PodFixture = {}): Pod {
  const requests: Record<string, string> = {};
  if (fixture.cpu) requests.cpu = fixture.cpu;
  if (fixture.memory) requests.memory = fixture.memory;
  const container: Container = {
    name: 'app',
    image: fixture.image ?? 'busybox:1.36',
    ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
    ...fixture.container,
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: fixture.namespace ?? 'default',
      uid: `uid-${name}`,
      ...(fixture.labels ? { labels: fixture.labels } : {}),
      ...(fixture.ownerUid ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: fixture.ownerUid, controller: true }] } : {}),
    },
    spec: { containers: [container], ...(fixture.nodeName ? { nodeName: fixture.nodeName } : {}), ...fixture.spec },
  };
}
