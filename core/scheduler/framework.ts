import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { NodeInfo } from './node-info.ts';
import type { ImageSummary } from './plugins/image-states.ts';
import type { StorageLookup } from './plugins/volume-binding.ts';

// The scheduler framework's extension points (Kubernetes pkg/scheduler/framework/interface.go),
// each its own small interface. An expected "doesn't fit" is a returned Status with reasons,
// never a thrown error; scores are integers 0..100 after normalization.

export type StatusCode = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  code: StatusCode;
  /** Short, countable reasons: the failure message says "2 Insufficient cpu". */
  reasons: string[];
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: [] }) as Status;

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}

/** Preemption (evicting other pods) could not make the node fit: the node itself does not suit the pod. */
export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function isSuccess(status: Status): boolean {
  return status.code === 'Success';
}

export const MAX_NODE_SCORE = 100;

/**
 * What one scheduling attempt knows besides the pod and the node: cluster-wide inputs
 * (services, for default spreading) and whatever plugins computed in preScore.
 */
export class CycleState {
  private readonly data = new Map<string, unknown>();

  constructor(
    /** Services in the pod's namespace and others; pod-topology-spread picks those selecting the pod. */
    readonly services: readonly Service[] = [],
    /** Nodes in the snapshot, feasible or not (image locality counts how many hold an image). */
    readonly allNodes: readonly NodeInfo[] = [],
    /** Claims, volumes and classes, for the pods that mount PersistentVolumeClaims. */
    readonly storage?: StorageLookup,
    /** Image name -> size and spread over allNodes, when the caller keeps it (the scheduler cache does); else computed per cycle. */
    readonly imageStates?: ReadonlyMap<string, ImageSummary>,
  ) {}

  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

export interface Plugin {
  readonly name: string;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status;
}

export interface NodeScore {
  name: string;
  score: number;
}

/** preScore's answer: 'Skip' leaves the plugin out of this attempt (nothing to prefer). */
export type PreScoreResult = 'Skip' | undefined;

export interface ScorePlugin extends Plugin {
  /** Runs once per attempt over the feasible nodes before any score(). */
  preScore?(state: CycleState, pod: Pod, feasible: readonly NodeInfo[]): PreScoreResult;
  /** The raw score; normalize (or the plugin itself) keeps the final one in 0..100. */
  score(state: CycleState, pod: Pod, nodeInfo: NodeInfo): number;
  /** Turns raw scores of all feasible nodes into 0..100; absent means raw scores already are. */
  normalize?(state: CycleState, pod: Pod, scores: readonly NodeScore[]): NodeScore[];
}

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

/** A scheduling profile: filters run in order (stopping at the first failure), scores are weighted. */
export interface Profile {
  filters: readonly FilterPlugin[];
  scores: readonly WeightedScorePlugin[];
}

/**
 * DefaultNormalizeScore: scales so the highest raw score becomes 100; `reverse` makes
 * the highest raw score 0 (for counts of bad things, such as intolerable taints).
 */
export function defaultNormalizeScore(scores: readonly NodeScore[], reverse: boolean): NodeScore[] {
  const maxCount = Math.max(0, ...scores.map((s) => s.score));
  if (maxCount === 0) return scores.map((s) => ({ name: s.name, score: reverse ? MAX_NODE_SCORE : s.score }));
  return scores.map((s) => {
    const scaled = Math.trunc((MAX_NODE_SCORE * s.score) / maxCount);
    return { name: s.name, score: reverse ? MAX_NODE_SCORE - scaled : scaled };
  });
}
