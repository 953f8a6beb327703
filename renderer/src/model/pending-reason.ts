import type { Event, Pod } from 'kubernetes-types/core/v1.js';

// Why a Pending pod has no node, from what the scheduler wrote: its explanation
// annotation (per node, the filter that turned the node down and why), the
// PodScheduled=False condition, and the FailedScheduling events.

// The annotation's shape (core/scheduler/explanation.ts documents it). Declared here
// because the scheduler's types pull Node-only modules into the renderer's type check.
export const EXPLANATION_ANNOTATION = 'scheduler.kubelab.io/explanation';

export interface NodeExplanation {
  name: string;
  filters: { plugin: string; code: string; reasons?: string[] }[];
  total?: number;
}

export interface SchedulingExplanation {
  time?: string;
  result: 'Scheduled' | 'Unschedulable';
  node?: string;
  message?: string;
  nodes: NodeExplanation[];
}

/** The parsed annotation, or undefined when absent or not readable. */
export function readExplanation(pod: Pod): SchedulingExplanation | undefined {
  const text = pod.metadata?.annotations?.[EXPLANATION_ANNOTATION];
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as SchedulingExplanation;
    return Array.isArray(value.nodes) ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface NodeVerdict {
  node: string;
  /** The filter plugin that rejected the node; undefined when the node fit. */
  plugin: string | undefined;
  /** 'Unschedulable' (preemption might help) or 'UnschedulableAndUnresolvable'. */
  code: string | undefined;
  reasons: string[];
  /** Total score, for nodes that fit. */
  score: number | undefined;
}

export interface SchedulingEvent {
  message: string;
  count: number;
  last: string | undefined;
}

export interface PendingReason {
  /** Kubernetes' FitError summary, e.g. "0/3 nodes are available: 3 Insufficient cpu." */
  summary: string | undefined;
  /** When the scheduler last tried. */
  time: string | undefined;
  nodes: NodeVerdict[];
  conditionMessage: string | undefined;
  events: SchedulingEvent[];
}

export function nodeVerdict(node: NodeExplanation): NodeVerdict {
  const failed = node.filters.find((filter) => filter.code !== 'Success');
  return { node: node.name, plugin: failed?.plugin, code: failed?.code, reasons: failed?.reasons ?? [], score: failed ? undefined : node.total };
}

/** One line per node, as a learner reads it: "lab-1: TaintToleration: node(s) had untolerated taint {lab: x}". */
export function formatNodeVerdict(verdict: NodeVerdict): string {
  if (!verdict.plugin) return `${verdict.node}: fits${verdict.score !== undefined ? ` (score ${verdict.score})` : ''}`;
  const why = verdict.reasons.length ? verdict.reasons.join('; ') : verdict.code ?? '';
  return `${verdict.node}: ${verdict.plugin}: ${why}`;
}

function involves(event: Event, pod: Pod): boolean {
  const involved = event.involvedObject;
  return (
    involved?.kind === 'Pod' &&
    involved.name === pod.metadata?.name &&
    (involved.namespace ?? event.metadata?.namespace) === pod.metadata?.namespace &&
    (!involved.uid || !pod.metadata?.uid || involved.uid === pod.metadata.uid)
  );
}

/** The events about this pod, oldest first. */
export function eventsFor(pod: Pod, events: readonly Event[]): Event[] {
  return events.filter((event) => involves(event, pod)).sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
}

export function eventTime(event: Event): string {
  return String(event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp ?? '');
}

/** Undefined when the pod is not waiting for the scheduler (bound, or finished). */
export function pendingReason(pod: Pod, events: readonly Event[]): PendingReason | undefined {
  if (pod.spec?.nodeName || pod.status?.phase !== 'Pending') return undefined;
  const explanation = readExplanation(pod);
  const unschedulable = explanation?.result === 'Unschedulable' ? explanation : undefined;
  const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const failedScheduling = eventsFor(pod, events)
    .filter((event) => event.reason === 'FailedScheduling')
    .map((event) => ({ message: event.message ?? '', count: event.count ?? 1, last: eventTime(event) || undefined }))
    .reverse();
  return {
    summary: unschedulable?.message ?? condition?.message ?? failedScheduling[0]?.message,
    time: unschedulable?.time,
    nodes: (unschedulable?.nodes ?? []).map(nodeVerdict),
    conditionMessage: condition?.message,
    events: failedScheduling,
  };
}
