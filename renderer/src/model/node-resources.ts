import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { toBytes, toMillicores } from '../../../core/api/quantity.ts';
import { isTerminal, podRequests } from '../../../core/scheduler/node-info.ts';
import { podHealth, podRestarts, type PodHealth } from './pod-health.ts';
import { ENDPOINT_KIND_LABEL } from '../../../core/nodes/node-annotations.ts';

// What the cluster map shows per node: whether it is Ready, which kind of Docker endpoint
// backs it, and how much CPU and memory its pods ask for against what it offers. Requests
// are summed exactly as the scheduler sums them (same podRequests), so the bars tell the
// same story as "Insufficient cpu" in a Pending pod's explanation.


export interface ResourceUsage {
  requested: number;
  allocatable: number;
}

export interface NodeResources {
  /** Millicores. */
  cpu: ResourceUsage;
  /** Bytes. */
  memory: ResourceUsage;
}

/** What one pod tile needs, computed once per update so the template stays cheap. */
export interface PodTile {
  key: string;
  namespace: string;
  name: string;
  health: PodHealth;
  restarts: number;
}

export interface PodsByNode {
  byNode: Map<string, Pod[]>;
  /** Pods no node was chosen for yet (Pending without spec.nodeName). */
  unscheduled: Pod[];
}

export function isNodeReady(node: Node | undefined): boolean {
  return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function endpointKindOf(node: Node | undefined): string | undefined {
  return node?.metadata?.labels?.[ENDPOINT_KIND_LABEL];
}

function quantity(value: unknown, convert: (text: string) => number): number {
  if (value === undefined || value === null) return 0;
  try {
    return convert(String(value));
  } catch {
    return 0;
  }
}

/** CPU and memory requested by the node's running (non-terminated) pods, against status.allocatable. */
export function nodeResources(node: Node | undefined, pods: readonly Pod[]): NodeResources {
  const allocatable = (node?.status?.allocatable ?? {}) as Record<string, unknown>;
  let cpu = 0;
  let memory = 0;
  for (const pod of pods) {
    if (isTerminal(pod)) continue;
    const requests = podRequests(pod);
    cpu += requests.milliCpu;
    memory += requests.memory;
  }
  return {
    cpu: { requested: cpu, allocatable: quantity(allocatable.cpu, toMillicores) },
    memory: { requested: memory, allocatable: quantity(allocatable.memory, toBytes) },
  };
}

/** 0..1 for a bar; an over-committed or allocatable-less node shows full. */
export function usageFraction(usage: ResourceUsage): number {
  if (usage.allocatable <= 0) return usage.requested > 0 ? 1 : 0;
  return Math.min(1, usage.requested / usage.allocatable);
}

/** One pass over all pods: each under its node, the rest unscheduled. */
export function groupPodsByNode(pods: Iterable<Pod>): PodsByNode {
  const byNode = new Map<string, Pod[]>();
  const unscheduled: Pod[] = [];
  for (const pod of pods) {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) {
      unscheduled.push(pod);
      continue;
    }
    let list = byNode.get(nodeName);
    if (!list) byNode.set(nodeName, (list = []));
    list.push(pod);
  }
  return { byNode, unscheduled };
}

const tileOf = new WeakMap<Pod, PodTile>();

/** The tile of a pod object, made once per object (the store replaces a pod's object when it changes). */
export function podTile(pod: Pod): PodTile {
  let tile = tileOf.get(pod);
  if (!tile) {
    const namespace = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    tileOf.set(pod, (tile = { key: `${namespace}/${name}`, namespace, name, health: podHealth(pod), restarts: podRestarts(pod) }));
  }
  return tile;
}

function byKey(a: PodTile, b: PodTile): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Tiles of the pods that pass `visible`, in a stable order (so tiles don't shuffle between updates). */
export function podTiles(pods: readonly Pod[], visible: (pod: Pod) => boolean): PodTile[] {
  const tiles: PodTile[] = [];
  for (const pod of pods) if (visible(pod)) tiles.push(podTile(pod));
  return tiles.sort(byKey);
}
