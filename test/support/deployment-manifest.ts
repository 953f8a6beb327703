// A Deployment as tests and benches make them: `replicas` pods labelled app=NAME (its
// selector too) running `podSpec`; `spec` adds fields such as a strategy.

export interface PodSpecLike {
  containers: Record<string, unknown>[];
  [field: string]: unknown;
}

/** busybox sleeping for an hour, gone at once when deleted. */
export const SLEEPING_POD_SPEC: PodSpecLike = { terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: 'kubelab/busybox:test', command: ['sleep', '3600'] }] };

export function deploymentManifest(name: string, replicas: number, podSpec: PodSpecLike = SLEEPING_POD_SPEC, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, ...spec, template: { metadata: { labels: { app: name } }, spec: podSpec } },
  };
}
