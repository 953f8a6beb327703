import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { CycleState, isSuccess, MAX_NODE_SCORE, type NodeScore, type Profile, type Status } from './framework.ts';
import { fitErrorMessage } from './failure-message.ts';
import { numFeasibleNodesToFind } from './feasible-nodes-to-find.ts';
import { compareNames, type NodeInfo } from './node-info.ts';
import type { ImageSummary } from './plugins/image-states.ts';
import type { StorageLookup } from './plugins/volume-binding.ts';

// One scheduling decision, pure (Nomad's and Kubernetes' schedulePod): fit (run the
// filters node after node from the start index, stopping at a node's first failure and
// once numFeasibleNodesToFind nodes fit), rank (weighted sum of normalized scores over
// the feasible nodes), select (highest total; ties by name, or at random when a random
// source is given). No I/O: the caller supplies the snapshot and keeps the start index.

export interface FilterExplanation {
  plugin: string;
  code: Status['code'];
  reasons?: string[];
}

export interface ScoreExplanation {
  plugin: string;
  /** What the plugin returned before normalization. */
  raw: number;
  /** Normalized, 0..100. */
  score: number;
  weight: number;
}

export interface NodeExplanation {
  name: string;
  /** In the order they ran, up to the first failure; shared between nodes, never to be changed. */
  filters: readonly FilterExplanation[];
  /** Only for nodes that passed every filter. */
  scores?: ScoreExplanation[];
  /** Sum of score x weight; only for feasible nodes. */
  total?: number;
}

export interface ScheduleExplanation {
  result: 'Scheduled' | 'Unschedulable';
  node?: string;
  /** Kubernetes' FitError message when unschedulable. */
  message?: string;
  /** The nodes the filters checked, in name order. */
  nodes: NodeExplanation[];
  /** Nodes not checked because enough feasible ones were found first; absent when none. */
  uncheckedNodes?: number;
}

export interface ScheduleResult {
  nodeName?: string;
  explanation: ScheduleExplanation;
  /** Where the next cycle starts checking nodes (Kubernetes' nextStartNodeIndex). */
  nextStartNodeIndex: number;
}

export interface ScheduleOptions {
  /** Services, for default spreading of the pods one Service selects. */
  services?: readonly Service[];
  /** [0, 1) source for breaking ties at random (seed it in tests); without it ties go to the first name. */
  random?: () => number;
  /** Claims, volumes and classes (VolumeBinding); without it pods with claims are not checked. */
  storage?: StorageLookup;
  /** 0 or absent: adaptive (see numFeasibleNodesToFind). */
  percentageOfNodesToScore?: number;
  /** The node (index into the name-sorted nodes) checked first; the last result's nextStartNodeIndex. */
  startNodeIndex?: number;
  /** ImageLocality's image states over these nodes, if the caller keeps them. */
  imageStates?: ReadonlyMap<string, ImageSummary>;
}

/** Per profile, the filter list of a node that passed every filter: one shared, frozen list, not one per node and pod. */
const allPassed = new WeakMap<Profile, readonly FilterExplanation[]>();

function passedFilters(profile: Profile): readonly FilterExplanation[] {
  let list = allPassed.get(profile);
  if (!list) allPassed.set(profile, (list = Object.freeze(profile.filters.map((plugin) => Object.freeze({ plugin: plugin.name, code: 'Success' as const })))));
  return list;
}

function runFilters(profile: Profile, state: CycleState, pod: Pod, nodeInfo: NodeInfo): { filters: readonly FilterExplanation[]; failed?: Status } {
  const filters = profile.filters;
  for (let i = 0; i < filters.length; i++) {
    const plugin = filters[i];
    let status: Status;
    try {
      status = plugin.filter(state, pod, nodeInfo);
    } catch (error) {
      // A plugin bug must not stop scheduling of every other pod: the node is out for this attempt.
      status = { code: 'Error', reasons: [`running ${plugin.name} filter: ${(error as Error).message}`] };
    }
    if (!isSuccess(status)) {
      // The filters before this one passed; the list stops at the first failure.
      return { filters: [...passedFilters(profile).slice(0, i), { plugin: plugin.name, code: status.code, reasons: [...status.reasons] }], failed: status };
    }
  }
  return { filters: passedFilters(profile) };
}

function clampScore(score: number): number {
  return Math.min(MAX_NODE_SCORE, Math.max(0, Math.trunc(score)));
}

/** Per feasible node, each plugin's raw and normalized score (skipped plugins leave no entry). */
function rank(profile: Profile, state: CycleState, pod: Pod, feasible: readonly NodeInfo[]): Map<string, ScoreExplanation[]> {
  const byNode = new Map<string, ScoreExplanation[]>(feasible.map((n) => [n.name, []]));
  for (const { plugin, weight } of profile.scores) {
    if (plugin.preScore?.(state, pod, feasible) === 'Skip') continue;
    const raw: NodeScore[] = feasible.map((nodeInfo) => ({ name: nodeInfo.name, score: plugin.score(state, pod, nodeInfo) }));
    const normalized = plugin.normalize ? plugin.normalize(state, pod, raw) : raw;
    raw.forEach((entry, i) => {
      byNode.get(entry.name)!.push({ plugin: plugin.name, raw: entry.score, score: clampScore(normalized[i].score), weight });
    });
  }
  return byNode;
}

function selectHost(candidates: readonly { name: string; total: number }[], random: (() => number) | undefined): string {
  const best = Math.max(...candidates.map((c) => c.total));
  const tied = candidates.filter((c) => c.total === best).map((c) => c.name).sort(compareNames);
  if (!random || tied.length === 1) return tied[0];
  return tied[Math.min(tied.length - 1, Math.floor(random() * tied.length))];
}

/** `nodeInfos` sorted by name, as the scheduler cache's snapshot and buildNodeInfos give them (checking that cost a pass per cycle). */
export function scheduleOne(pod: Pod, nodeInfos: readonly NodeInfo[], profile: Profile, options: ScheduleOptions = {}): ScheduleResult {
  const state = new CycleState(options.services ?? [], nodeInfos, options.storage, options.imageStates);
  const ordered = nodeInfos;
  const numAllNodes = ordered.length;
  const toFind = numFeasibleNodesToFind(options.percentageOfNodesToScore, numAllNodes);
  const start = numAllNodes > 0 ? (options.startNodeIndex ?? 0) % numAllNodes : 0;
  const explanations: NodeExplanation[] = [];
  const feasible: NodeInfo[] = [];
  const failures: Status[] = [];
  let checked = 0;
  while (checked < numAllNodes && feasible.length < toFind) {
    const nodeInfo = ordered[(start + checked) % numAllNodes];
    checked++;
    const { filters, failed } = runFilters(profile, state, pod, nodeInfo);
    explanations.push({ name: nodeInfo.name, filters });
    if (failed) failures.push(failed);
    else feasible.push(nodeInfo);
  }
  const nextStartNodeIndex = numAllNodes > 0 ? (start + checked) % numAllNodes : 0;
  // Checked from `start` on, wrapping past the end: the wrapped part comes first by name.
  const wrapped = Math.max(0, start + checked - numAllNodes);
  const nodes = [...explanations.slice(checked - wrapped), ...explanations.slice(0, checked - wrapped)];
  const uncheckedNodes = numAllNodes - checked > 0 ? { uncheckedNodes: numAllNodes - checked } : {};

  if (feasible.length === 0) {
    // Only reached once every node was checked: the message counts them all.
    const message = fitErrorMessage(pod, numAllNodes, failures);
    return { explanation: { result: 'Unschedulable', message, nodes }, nextStartNodeIndex };
  }
  // Kubernetes skips scoring a lone feasible node; we score it anyway so the explanation shows why.
  const scores = rank(profile, state, pod, feasible);
  const byName = new Map(explanations.map((entry) => [entry.name, entry]));
  const candidates = feasible.map((nodeInfo) => {
    const entry = byName.get(nodeInfo.name)!;
    entry.scores = scores.get(nodeInfo.name) ?? [];
    entry.total = entry.scores.reduce((sum, s) => sum + s.score * s.weight, 0);
    return { name: nodeInfo.name, total: entry.total };
  });
  const nodeName = selectHost(candidates, options.random);
  return { nodeName, explanation: { result: 'Scheduled', node: nodeName, nodes, ...uncheckedNodes }, nextStartNodeIndex };
}
