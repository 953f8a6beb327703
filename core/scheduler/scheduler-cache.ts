import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { compareNames, isTerminal, newNodeInfo, type NodeInfo } from './node-info.ts';
import { imagesChanged, imageStates, type ImageSummary } from './plugins/image-states.ts';

// kube-scheduler's cache (pkg/scheduler/backend/cache): one NodeInfo per node, kept up
// to date from node and pod watch events plus the pods the scheduler assumed, so a
// scheduling cycle does not rebuild every NodeInfo from every pod (that was O(pods) per
// pod scheduled). snapshot() is copy-on-write: it hands out an array that is never
// changed afterwards, and builds the next one by copying and replacing only the nodes
// that changed since.
//
// Assumed pods (AssumePod): chosen but not yet seen bound. They count on their node
// until the informer shows the pod bound (which replaces them), the pod is deleted, or
// the binding fails (forgetPod). Updates of the still-unbound pod that arrive meanwhile
// (someone's annotation or status write) leave the assumed pod alone.
//
// It also keeps ImageLocality's image states (plugins/image-states.ts), which change
// only when a node's images or the node set do, not on every heartbeat or placement.

interface CachedPod {
  pod: Pod;
  nodeName: string;
  assumed: boolean;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, Node>();
  private readonly pods = new Map<string, CachedPod>();
  /** Node name -> pod key -> pod; also for nodes the cache does not know (yet). */
  private readonly podsByNode = new Map<string, Map<string, Pod>>();
  /** Built NodeInfos of known nodes; the dirty ones are rebuilt by snapshot(). */
  private readonly infos = new Map<string, NodeInfo>();
  private readonly dirty = new Set<string>();
  private nodeSetChanged = true;
  private last: readonly NodeInfo[] = [];
  /** Position of each node in `last`. */
  private positions = new Map<string, number>();
  /** Over the known nodes; undefined once a node's images or the node set changed. */
  private images: ReadonlyMap<string, ImageSummary> | undefined;

  setNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const old = this.nodes.get(name);
    if (!old) this.nodeSetChanged = true;
    if (imagesChanged(old, node)) this.images = undefined;
    this.nodes.set(name, node);
    this.dirty.add(name);
  }

  removeNode(name: string): void {
    if (!this.nodes.delete(name)) return;
    this.nodeSetChanged = true;
    this.images = undefined;
    this.dirty.add(name);
  }

  /** ImageLocality's image states over the snapshot's nodes, recomputed only when images change. */
  imageStates(): ReadonlyMap<string, ImageSummary> {
    return (this.images ??= imageStates(this.snapshot().map((info) => info.node)));
  }

  /**
   * A pod from the informer (added or updated). A bound, unfinished pod counts on its
   * node; a finished one counts nowhere; an unbound one leaves an assumed pod in place.
   */
  setPod(pod: Pod): void {
    const key = podKey(pod);
    const nodeName = pod.spec?.nodeName;
    if (isTerminal(pod)) this.remove(key);
    else if (nodeName) this.place(key, pod, nodeName, false);
    else if (!this.pods.get(key)?.assumed) this.remove(key);
  }

  removePod(pod: Pod): void {
    this.remove(podKey(pod));
  }

  /** The pod counts on `nodeName` from now on, before the binding is written. */
  assumePod(pod: Pod, nodeName: string): void {
    this.place(podKey(pod), { ...pod, spec: { ...pod.spec!, nodeName } }, nodeName, true);
  }

  /** The binding failed: the assumed pod no longer counts. */
  forgetPod(key: string): void {
    if (this.pods.get(key)?.assumed) this.remove(key);
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }

  /** Every known node's NodeInfo, sorted by name. Never changed after it is returned. */
  snapshot(): readonly NodeInfo[] {
    if (this.dirty.size === 0) return this.last;
    for (const name of this.dirty) {
      const node = this.nodes.get(name);
      if (node) this.infos.set(name, newNodeInfo(node, [...(this.podsByNode.get(name)?.values() ?? [])]));
      else this.infos.delete(name);
    }
    let next: NodeInfo[];
    if (this.nodeSetChanged) {
      next = [...this.infos.values()].sort((a, b) => compareNames(a.name, b.name));
      this.positions = new Map(next.map((info, i) => [info.name, i]));
      this.nodeSetChanged = false;
    } else {
      next = [...this.last];
      for (const name of this.dirty) next[this.positions.get(name)!] = this.infos.get(name)!;
    }
    this.dirty.clear();
    this.last = next;
    return next;
  }

  private place(key: string, pod: Pod, nodeName: string, assumed: boolean): void {
    this.remove(key);
    this.pods.set(key, { pod, nodeName, assumed });
    let onNode = this.podsByNode.get(nodeName);
    if (!onNode) this.podsByNode.set(nodeName, (onNode = new Map()));
    onNode.set(key, pod);
    this.touch(nodeName);
  }

  private remove(key: string): void {
    const cached = this.pods.get(key);
    if (!cached) return;
    this.pods.delete(key);
    const onNode = this.podsByNode.get(cached.nodeName)!;
    onNode.delete(key);
    if (onNode.size === 0) this.podsByNode.delete(cached.nodeName);
    this.touch(cached.nodeName);
  }

  /** Only known nodes are rebuilt: pods on an unknown node wait until it appears. */
  private touch(nodeName: string): void {
    if (this.nodes.has(nodeName)) this.dirty.add(nodeName);
  }
}
