import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ScheduleExplanation } from './schedule-one.ts';
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
//     "nodes": [                                every node of the snapshot, sorted by name
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
//       } ] }
//
// Order of writes: for a scheduled pod the annotation is merge-patched first and the
// binding (pods/NAME/binding, which cannot carry annotations) is posted right after, so
// a pod seen bound already explains itself. For an unschedulable pod the annotation is
// written, then the PodScheduled=False condition and the FailedScheduling event.
// A repeated attempt with the same outcome (everything equal but "time") writes nothing.

export const EXPLANATION_ANNOTATION = 'scheduler.kubelab.io/explanation';

export interface PodSchedulingExplanation extends ScheduleExplanation {
  time: string;
  scoringStrategy: ScoringStrategy;
}

export function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The annotation value for one attempt: compact JSON. */
export function explanationAnnotationValue(explanation: ScheduleExplanation, scoringStrategy: ScoringStrategy, time: Date): string {
  const value: PodSchedulingExplanation = { time: rfc3339(time), result: explanation.result, scoringStrategy, nodes: explanation.nodes };
  if (explanation.node !== undefined) value.node = explanation.node;
  if (explanation.message !== undefined) value.message = explanation.message;
  // Key order fixed (time first) so equal outcomes serialize equally.
  const { time: t, result, node, message, scoringStrategy: strategy, nodes } = value;
  return JSON.stringify({ time: t, result, node, message, scoringStrategy: strategy, nodes });
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
