import type { ControllerFactory } from './controller.ts';
import { cronJobController } from './cronjob-controller.ts';
import { daemonSetController } from './daemonset-controller.ts';
import { deploymentController } from './deployment-controller.ts';
import { endpointsController } from './endpoints-controller.ts';
import { garbageCollector } from './garbage-collector.ts';
import { horizontalPodAutoscalerController } from './horizontal-pod-autoscaler-controller.ts';
import { jobController } from './job-controller.ts';
import { namespaceController } from './namespace-controller.ts';
import { nodeLifecycleController } from './node-lifecycle-controller.ts';
import { persistentVolumeController } from './persistent-volume-controller.ts';
import { replicaSetController } from './replicaset-controller.ts';

/** Every controller the controller-manager runs when it leads, as kube-controller-manager's defaults. */
export const ALL_CONTROLLERS: ControllerFactory[] = [
  replicaSetController,
  deploymentController,
  daemonSetController,
  jobController,
  cronJobController,
  endpointsController,
  garbageCollector,
  namespaceController,
  nodeLifecycleController,
  persistentVolumeController,
  horizontalPodAutoscalerController,
];
