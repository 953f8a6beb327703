// Timings of the scheduling queue. Kubernetes' values are available; lab values retry
// unschedulable pods sooner so a lab shows the effect of a change in seconds.

export interface SchedulerSettings {
  /** Backoff after a pod's first failed attempt; doubles per attempt (podInitialBackoffSeconds). */
  podInitialBackoffSeconds: number;
  /** Cap of that backoff (podMaxBackoffSeconds). */
  podMaxBackoffSeconds: number;
  /** An unschedulable pod is retried after this long even if nothing relevant changed. */
  podMaxInUnschedulablePodsSeconds: number;
  /** How often that leftover sweep runs. */
  unschedulableFlushIntervalSeconds: number;
}

export const KUBERNETES_SCHEDULER_SETTINGS: SchedulerSettings = {
  podInitialBackoffSeconds: 1,
  podMaxBackoffSeconds: 10,
  podMaxInUnschedulablePodsSeconds: 300,
  unschedulableFlushIntervalSeconds: 30,
};

export const LAB_SCHEDULER_SETTINGS: SchedulerSettings = {
  podInitialBackoffSeconds: 1,
  podMaxBackoffSeconds: 10,
  podMaxInUnschedulablePodsSeconds: 15,
  unschedulableFlushIntervalSeconds: 5,
};
