// The one place that says which printer (columns + row cells) each kind uses for
// meta.k8s.io Table responses. Printers live beside it, one file per kind group.

import type { ResourceInfo } from '../api/resource-catalog.ts';
import { resourceKey } from '../api/resource-catalog.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { ageOf, AGE_DESCRIPTION, column, nameColumn, type KindPrinter } from './table-columns-common.ts';
import { podPrinter } from './table-columns-pods.ts';
import {
  configMapPrinter,
  endpointsPrinter,
  eventPrinter,
  leasePrinter,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
  storageClassPrinter,
} from './table-columns-core.ts';
import {
  controllerRevisionPrinter,
  cronJobPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  horizontalPodAutoscalerPrinter,
  jobPrinter,
  replicaSetPrinter,
} from './table-columns-workloads.ts';

/**
 * For kinds without a printer: NAME and AGE, the way the API server prints custom
 * resources with no additionalPrinterColumns (AGE is a `date` column rendered as a duration).
 */
export const defaultPrinter: KindPrinter = {
  columns: [nameColumn(), column('Age', 'date', AGE_DESCRIPTION)],
  cells(obj: KubeObject, now: Date): unknown[] {
    return [obj.metadata.name, ageOf(obj, now)];
  },
};

/** Keyed by resourceKey(): `pods`, `deployments.apps`... */
const PRINTERS: ReadonlyMap<string, KindPrinter> = new Map([
  ['pods', podPrinter],
  ['nodes', nodePrinter],
  ['namespaces', namespacePrinter],
  ['services', servicePrinter],
  ['endpoints', endpointsPrinter],
  ['configmaps', configMapPrinter],
  ['secrets', secretPrinter],
  ['serviceaccounts', serviceAccountPrinter],
  ['events', eventPrinter],
  ['persistentvolumes', persistentVolumePrinter],
  ['persistentvolumeclaims', persistentVolumeClaimPrinter],
  ['deployments.apps', deploymentPrinter],
  ['replicasets.apps', replicaSetPrinter],
  ['daemonsets.apps', daemonSetPrinter],
  ['controllerrevisions.apps', controllerRevisionPrinter],
  ['jobs.batch', jobPrinter],
  ['cronjobs.batch', cronJobPrinter],
  ['horizontalpodautoscalers.autoscaling', horizontalPodAutoscalerPrinter],
  ['leases.coordination.k8s.io', leasePrinter],
  ['storageclasses.storage.k8s.io', storageClassPrinter],
]);

export function printerFor(info: Pick<ResourceInfo, 'group' | 'plural'>): KindPrinter {
  return PRINTERS.get(resourceKey(info)) ?? defaultPrinter;
}
