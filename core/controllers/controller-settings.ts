// Timings of the controller-manager. Kubernetes' defaults are available; lab defaults
// are short so self-healing is visible in seconds. `kubelab serve --timings` picks one.

export interface ControllerSettings {
  /** Node lifecycle: a node whose heartbeat (Lease) is older than this is NotReady/Unknown. */
  nodeMonitorGracePeriodSeconds: number;
  /** How often node health is checked. */
  nodeMonitorPeriodSeconds: number;
  /** Default toleration seconds added to pods for the not-ready/unreachable NoExecute taints. */
  defaultNotReadyTolerationSeconds: number;
  /** HPA sync period. */
  horizontalPodAutoscalerSyncPeriodSeconds: number;
  /** HPA: no scale-down within this window after a scale (stabilization). */
  horizontalPodAutoscalerDownscaleStabilizationSeconds: number;
  /** Leader election. */
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  /** Workers per controller. */
  workers: number;
}

export const KUBERNETES_CONTROLLER_SETTINGS: ControllerSettings = {
  nodeMonitorGracePeriodSeconds: 40,
  nodeMonitorPeriodSeconds: 5,
  defaultNotReadyTolerationSeconds: 300,
  horizontalPodAutoscalerSyncPeriodSeconds: 15,
  horizontalPodAutoscalerDownscaleStabilizationSeconds: 300,
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
  workers: 5,
};

export const LAB_CONTROLLER_SETTINGS: ControllerSettings = {
  nodeMonitorGracePeriodSeconds: 8,
  nodeMonitorPeriodSeconds: 1,
  defaultNotReadyTolerationSeconds: 5,
  horizontalPodAutoscalerSyncPeriodSeconds: 5,
  horizontalPodAutoscalerDownscaleStabilizationSeconds: 15,
  leaseDurationSeconds: 6,
  renewDeadlineSeconds: 4,
  retryPeriodSeconds: 1,
  workers: 3,
};
