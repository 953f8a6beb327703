import { findByKind, type ResourceInfo } from '../../../core/api/resource-catalog.ts';

// The kinds the GUI watches, by the short name the stores use.
function info(apiVersion: string, kind: string): ResourceInfo {
  const found = findByKind(apiVersion, kind);
  if (!found) throw new Error(`unknown kind ${apiVersion} ${kind}`);
  return found;
}

export const KINDS = {
  namespaces: info('v1', 'Namespace'),
  nodes: info('v1', 'Node'),
  pods: info('v1', 'Pod'),
  services: info('v1', 'Service'),
  endpoints: info('v1', 'Endpoints'),
  events: info('v1', 'Event'),
  deployments: info('apps/v1', 'Deployment'),
  replicasets: info('apps/v1', 'ReplicaSet'),
  daemonsets: info('apps/v1', 'DaemonSet'),
  jobs: info('batch/v1', 'Job'),
  cronjobs: info('batch/v1', 'CronJob'),
} as const;

export type WatchedKind = keyof typeof KINDS;
export const WATCHED_KINDS = Object.keys(KINDS) as WatchedKind[];
