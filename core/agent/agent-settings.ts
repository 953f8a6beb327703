// The node agent's timings. Kubernetes' own values suit long-lived clusters; a lab wants
// a crash loop or a failed pull to come round again within seconds, so it scales them down.
// Every value is in seconds and may be fractional (unit tests run on tens of milliseconds).

export interface AgentSettings {
  /** How often the node's Lease in kube-node-lease is renewed. */
  heartbeatSeconds: number;
  /** How often Node.status (conditions, images, capacity) is rewritten. */
  nodeStatusSeconds: number;
  /** Every pod of the node is re-synced this often, whatever events said. */
  resyncSeconds: number;
  /** CrashLoopBackOff: first delay, doubled per crash up to the max. */
  crashLoopBackoffBaseSeconds: number;
  crashLoopBackoffMaxSeconds: number;
  /** A container that ran this long without crashing starts its back-off from the base again. */
  backoffResetSeconds: number;
  /** ImagePullBackOff: first delay, doubled per failed pull up to the max. */
  imagePullBackoffBaseSeconds: number;
  imagePullBackoffMaxSeconds: number;
  /** How often runtime.stats is sampled for podMetrics(). */
  metricsSampleSeconds: number;
  /** Pods synced in parallel; one slow pull or stop never holds the others. */
  workers: number;
  /** Grace given to the sandbox (pause) container when a pod stops; it has no work to finish. */
  sandboxStopSeconds: number;
}

export const KUBERNETES_AGENT_SETTINGS: AgentSettings = {
  heartbeatSeconds: 10,
  nodeStatusSeconds: 10,
  resyncSeconds: 60,
  crashLoopBackoffBaseSeconds: 10,
  crashLoopBackoffMaxSeconds: 300,
  backoffResetSeconds: 600,
  imagePullBackoffBaseSeconds: 10,
  imagePullBackoffMaxSeconds: 300,
  metricsSampleSeconds: 15,
  workers: 4,
  sandboxStopSeconds: 2,
};

export const LAB_AGENT_SETTINGS: AgentSettings = {
  // Well inside the lab node-monitor grace period (8 s, controller-settings.ts).
  heartbeatSeconds: 2,
  nodeStatusSeconds: 5,
  resyncSeconds: 30,
  crashLoopBackoffBaseSeconds: 1,
  crashLoopBackoffMaxSeconds: 20,
  // Kubernetes resets after 10 minutes with a 10 s base: keep the same 60x ratio.
  backoffResetSeconds: 60,
  imagePullBackoffBaseSeconds: 1,
  imagePullBackoffMaxSeconds: 20,
  metricsSampleSeconds: 5,
  workers: 4,
  sandboxStopSeconds: 2,
};
