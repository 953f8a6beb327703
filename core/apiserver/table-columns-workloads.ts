// Printers for the controllers' kinds (apps, batch, autoscaling), after
// Kubernetes' pkg/printers/internalversion/printers.go.

import type { DaemonSet, Deployment, ReplicaSet, ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2.js';
import type { KubeObject } from '../api/kube-object.ts';
import { humanDuration, translateTimestampSince } from '../api/age.ts';
import {
  ageColumn,
  ageOf,
  column,
  containerCells,
  containersColumn,
  formatBoolPointer,
  formatLabelSelector,
  formatLabels,
  imagesColumn,
  labelSelectorString,
  nameColumn,
  wide,
  type KindPrinter,
} from './table-columns-common.ts';

const SELECTOR_DESCRIPTION = 'Label query over pods that should match the replica count.';

export const deploymentPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', SELECTOR_DESCRIPTION),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const deployment = obj as unknown as Deployment;
    const status = deployment.status ?? {};
    const [names, images] = containerCells(deployment.spec?.template?.spec?.containers);
    return [
      obj.metadata.name,
      `${status.readyReplicas ?? 0}/${deployment.spec?.replicas ?? 1}`,
      status.updatedReplicas ?? 0,
      status.availableReplicas ?? 0,
      ageOf(obj, now),
      names,
      images,
      // printDeployment prints the parsed selector as is, so an empty one is ''.
      labelSelectorString(deployment.spec?.selector) ?? '<invalid>',
    ];
  },
};

export const replicaSetPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', SELECTOR_DESCRIPTION),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const replicaSet = obj as unknown as ReplicaSet;
    const [names, images] = containerCells(replicaSet.spec?.template?.spec?.containers);
    return [
      obj.metadata.name,
      replicaSet.spec?.replicas ?? 1,
      replicaSet.status?.replicas ?? 0,
      replicaSet.status?.readyReplicas ?? 0,
      ageOf(obj, now),
      names,
      images,
      formatLabelSelector(replicaSet.spec?.selector),
    ];
  },
};

export const daemonSetPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    column('Ready', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod.'),
    column('Available', 'integer', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
    column('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'A label query over pods that are managed by the daemon set.'),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const daemonSet = obj as unknown as DaemonSet;
    const status = daemonSet.status;
    const [names, images] = containerCells(daemonSet.spec?.template?.spec?.containers);
    return [
      obj.metadata.name,
      status?.desiredNumberScheduled ?? 0,
      status?.currentNumberScheduled ?? 0,
      status?.numberReady ?? 0,
      status?.updatedNumberScheduled ?? 0,
      status?.numberAvailable ?? 0,
      formatLabels(daemonSet.spec?.template?.spec?.nodeSelector),
      ageOf(obj, now),
      names,
      images,
      formatLabelSelector(daemonSet.spec?.selector),
    ];
  },
};

function hasJobCondition(conditions: JobCondition[] | undefined, type: string): boolean {
  // Like hasJobCondition in printers.go: the first condition of that type decides.
  const condition = (conditions ?? []).find((c) => c.type === type);
  return condition?.status === 'True';
}

/** The STATUS column kubectl 1.30+ shows for jobs. */
export function jobStatus(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasJobCondition(conditions, 'Complete')) return 'Complete';
  if (hasJobCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasJobCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: Job, now: Date): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const completion = job.status?.completionTime;
  const end = completion ? Date.parse(completion) : now.getTime();
  return humanDuration(end - Date.parse(start));
}

export const jobPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'A label query over pods that should match the pod count.'),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const job = obj as unknown as Job;
    const [names, images] = containerCells(job.spec?.template?.spec?.containers);
    return [
      obj.metadata.name,
      jobStatus(job),
      jobCompletions(job),
      jobDuration(job, now),
      ageOf(obj, now),
      names,
      images,
      formatLabelSelector(job.spec?.selector),
    ];
  },
};

export const cronJobPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Schedule', 'string', 'The schedule in Cron format.'),
    column('Timezone', 'string', 'The time zone name for the given schedule.'),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'A label query over pods that should match the pod count.'),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const cronJob = obj as unknown as CronJob;
    const jobSpec = cronJob.spec?.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
    const lastSchedule = cronJob.status?.lastScheduleTime;
    return [
      obj.metadata.name,
      cronJob.spec?.schedule ?? '',
      cronJob.spec?.timeZone ?? '<none>',
      formatBoolPointer(cronJob.spec?.suspend),
      cronJob.status?.active?.length ?? 0,
      lastSchedule ? translateTimestampSince(lastSchedule, now) : '<none>',
      ageOf(obj, now),
      names,
      images,
      formatLabelSelector(jobSpec?.selector),
    ];
  },
};

/** `formatHPAMetrics`: `cpu: 42%/80%`, at most two metrics then `+ N more...`. */
export function formatHpaMetrics(specs: MetricSpec[] | undefined, statuses: MetricStatus[] | undefined): string {
  if (!specs || specs.length === 0) return '<none>';
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const status = statuses?.[i];
    switch (spec.type) {
      case 'External': {
        const target = spec.external?.target;
        if (target?.averageValue !== undefined) {
          const current = status?.external?.current?.averageValue ?? '<unknown>';
          list.push(`${current}/${target.averageValue} (avg)`);
        } else {
          const current = status?.external ? (status.external.current?.value ?? '0') : '<unknown>';
          list.push(`${current}/${target?.value ?? '0'}`);
        }
        break;
      }
      case 'Pods': {
        const current = status?.pods ? (status.pods.current?.averageValue ?? '0') : '<unknown>';
        list.push(`${current}/${spec.pods?.target?.averageValue ?? '0'}`);
        break;
      }
      case 'Object': {
        const target = spec.object?.target;
        if (target?.averageValue !== undefined) {
          const current = status?.object?.current?.averageValue ?? '<unknown>';
          list.push(`${current}/${target.averageValue} (avg)`);
        } else {
          const current = status?.object ? (status.object.current?.value ?? '0') : '<unknown>';
          list.push(`${current}/${target?.value ?? '0'}`);
        }
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const source = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const current = spec.type === 'Resource' ? status?.resource : status?.containerResource;
        const name = source?.name ?? '';
        const target = source?.target;
        if (target?.averageValue !== undefined) {
          const currentValue = current ? (current.current?.averageValue ?? '0') : '<unknown>';
          list.push(`${name}: ${currentValue}/${target.averageValue}`);
        } else {
          const utilization = current?.current?.averageUtilization;
          const currentValue = utilization !== undefined ? `${utilization}%` : '<unknown>';
          const targetValue = target?.averageUtilization !== undefined ? `${target.averageUtilization}%` : '<auto>';
          list.push(`${name}: ${currentValue}/${targetValue}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  const max = 2;
  const shown = list.slice(0, max).join(', ');
  return list.length > max ? `${shown} + ${list.length - max} more...` : shown;
}

export const horizontalPodAutoscalerPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Reference', 'string', 'The target resource to scale.'),
    column('Targets', 'string', 'The specifications for which to use to calculate the desired replica count.'),
    column('MinPods', 'string', 'The lower limit for the number of replicas to which the autoscaler can scale down.'),
    column('MaxPods', 'string', 'The upper limit for the number of replicas to which the autoscaler can scale up.'),
    column('Replicas', 'string', 'Current number of replicas of pods managed by this autoscaler.'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const hpa = obj as unknown as HorizontalPodAutoscaler;
    const target = hpa.spec?.scaleTargetRef;
    const minReplicas = hpa.spec?.minReplicas;
    return [
      obj.metadata.name,
      `${target?.kind ?? ''}/${target?.name ?? ''}`,
      formatHpaMetrics(hpa.spec?.metrics, hpa.status?.currentMetrics),
      minReplicas === undefined || minReplicas === null ? '<unset>' : String(minReplicas),
      hpa.spec?.maxReplicas ?? 0,
      hpa.status?.currentReplicas ?? 0,
      ageOf(obj, now),
    ];
  },
};

/** `formatResourceName`: `daemonset.apps/name`, or the bare name without an owner kind. */
function controllerName(revision: ControllerRevision): string {
  const owner = (revision.metadata?.ownerReferences ?? []).find((ref) => ref.controller);
  if (!owner) return '<none>';
  const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
  if (!owner.kind) return owner.name;
  const groupKind = group ? `${owner.kind}.${group}` : owner.kind;
  return `${groupKind.toLowerCase()}/${owner.name}`;
}

export const controllerRevisionPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
    ageColumn(),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const revision = obj as unknown as ControllerRevision;
    return [obj.metadata.name, controllerName(revision), revision.revision ?? 0, ageOf(obj, now)];
  },
};
