import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeExplanation, ScheduleExplanation } from './schedule-one.ts';
import type { ScoringStrategy } from './scheduler-config.ts';

// Why the scheduler put a pod where it did, or why it could not: after every attempt
// whose outcome differs from the last one recorded, the scheduler writes the pod
// annotation
//
//   scheduler.kubelab.io/explanation
//
// holding compact JSON (the GUI reads it; kubectl shows it with -o yaml):
//
//   {
//     "time": "2024-05-01T10:00:00Z",          RFC 3339, when the attempt ran
//     "result": "Scheduled" | "Unschedulable",
//     "node": "lab-1",                          the chosen node (Scheduled only)
//     "message": "0/3 nodes are available: ...", Kubernetes' FitError text (Unschedulable only)
//     "scoringStrategy": "LeastAllocated" | "MostAllocated",
//     "nodes": [                                the nodes the filters checked, sorted by name (all
//                                               of them up to EXPLAINED_NODES_LIMIT; see below)
//       {
//         "name": "lab-1",
//         "filters": [ { "plugin": "NodeUnschedulable", "code": "Success" },
//                      { "plugin": "TaintToleration", "code": "UnschedulableAndUnresolvable",
//                        "reasons": ["node(s) had untolerated taint {lab: x}"] } ],
//                                               filters in the order they ran; a node's list
//                                               stops at its first failing filter
//         "scores": [ { "plugin": "NodeResourcesFit", "raw": 75, "score": 75, "weight": 1 } ],
//                                               feasible nodes only: raw = the plugin's value,
//                                               score = normalized 0..100, weighted = score x weight
//         "total": 612                          feasible nodes only: sum of score x weight
//       } ],
//     "omittedNodes": 480,                      checked nodes left out of "nodes" (absent when none)
//     "uncheckedNodes": 4500 }                  nodes never checked: filtering stopped once
//                                               enough fit (numFeasibleNodesToFind; absent when none)
//
// A big cluster would not fit: Kubernetes caps a pod's annotations at 256 KiB, and one
// node's entry is most of a kilobyte, so past EXPLAINED_NODES_LIMIT nodes the list keeps
// the chosen node, one node per distinct reason for turning a node down, then the
// best-scored feasible nodes. The message of an unschedulable pod counts every node: it
// is written only after every node was checked.
//
// Order of writes: for a scheduled pod the annotation travels in the Binding's
// metadata.annotations, which the API server copies onto the pod in the binding's own
// write (as Kubernetes does), so a pod seen bound already explains itself and binding
// costs one write. For an unschedulable pod the annotation is merge-patched, then the
// PodScheduled=False condition and the FailedScheduling event are written.
// A repeated attempt with the same outcome (everything equal but "time") writes nothing.

export const EXPLANATION_ANNOTATION = 'scheduler.kubelab.io/explanation';

export interface PodSchedulingExplanation extends ScheduleExplanation {
  time: string;
  scoringStrategy: ScoringStrategy;
  omittedNodes?: number;
}

/** Nodes listed in full; a lab has a handful, and 20 entries stay far below the annotation limit. */
export const EXPLAINED_NODES_LIMIT = 20;

/** The failing filter, if any, is the last entry: filters stop at the first failure. */
function failureOf(node: NodeExplanation): string | undefined {
  const last = node.filters.at(-1);
  return last && last.code !== 'Success' ? JSON.stringify([last.plugin, last.code, last.reasons ?? []]) : undefined;
}

/**
 * The nodes the annotation lists, in name order: all of them up to `limit`; beyond it
 * the chosen node, then one node per distinct failure, then feasible nodes by total.
 */
export function explainedNodes(nodes: readonly NodeExplanation[], chosen: string | undefined, limit = EXPLAINED_NODES_LIMIT): NodeExplanation[] {
  if (nodes.length <= limit) return [...nodes];
  const picked = new Set<NodeExplanation>();
  const failures = new Set<string>();
  const firstPerFailure: NodeExplanation[] = [];
  const feasible: NodeExplanation[] = [];
  for (const node of nodes) {
    if (node.name === chosen) picked.add(node);
    const failure = failureOf(node);
    if (failure === undefined) feasible.push(node);
    else if (!failures.has(failure)) {
      failures.add(failure);
      firstPerFailure.push(node);
    }
  }
  // Stable sort: equal totals stay in name order.
  feasible.sort((a, b) => (b.total ?? 0) - (a.total ?? 0));
  for (const node of [...firstPerFailure, ...feasible]) {
    if (picked.size >= limit) break;
    picked.add(node);
  }
  return nodes.filter((node) => picked.has(node));
}

export function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The annotation value for one attempt: compact JSON. */
export function explanationAnnotationValue(explanation: ScheduleExplanation, scoringStrategy: ScoringStrategy, time: Date): string {
  const nodes = explainedNodes(explanation.nodes, explanation.node);
  const omittedNodes = explanation.nodes.length - nodes.length;
  // Key order fixed (time first) so equal outcomes serialize equally; undefined fields are left out.
  const value: PodSchedulingExplanation = {
    time: rfc3339(time),
    result: explanation.result,
    node: explanation.node,
    message: explanation.message,
    scoringStrategy,
    nodes,
    omittedNodes: omittedNodes > 0 ? omittedNodes : undefined,
    uncheckedNodes: explanation.uncheckedNodes,
  };
  return JSON.stringify(value);
}

/** The parsed annotation, or undefined when absent or not ours. */
export function readExplanation(pod: Pod): PodSchedulingExplanation | undefined {
  const text = pod.metadata?.annotations?.[EXPLANATION_ANNOTATION];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as PodSchedulingExplanation;
  } catch {
    return undefined;
  }
}

function withoutTime(json: string): string {
  try {
    const { time: _time, ...rest } = JSON.parse(json) as Record<string, unknown>;
    return JSON.stringify(rest);
  } catch {
    return json;
  }
}

/** True when two annotation values tell the same outcome (they may differ in "time"). */
export function sameOutcome(a: string, b: string): boolean {
  return withoutTime(a) === withoutTime(b);
}

/** True when the new annotation value says something the pod's current one does not (the time alone does not count). */
export function explanationChanged(pod: Pod, nextValue: string): boolean {
  const current = pod.metadata?.annotations?.[EXPLANATION_ANNOTATION];
  return current === undefined || !sameOutcome(current, nextValue);
}
