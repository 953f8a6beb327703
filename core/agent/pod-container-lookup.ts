import { LABELS, type ContainerRuntime, type ContainerStatus } from './container-runtime.ts';

// Which Docker container is "container C of pod P" right now, and which one ran
// before it: the kubelet's view for logs (--previous) and exec. Containers are found
// by the labels the agent sets, never by Docker name, so adopted containers count too.

export interface PodContainerRef {
  nodeName: string;
  namespace: string;
  podName: string;
  containerName: string;
  /** Kubelab cluster id; containers of other labs on the same daemon are not ours. */
  clusterId?: string;
}

export interface PodContainerInstances {
  /** The most recent instance (highest attempt), running or not. */
  current?: ContainerStatus;
  /**
   * The last terminated instance (the pod's lastState), for `logs --previous`: the one
   * before the current when the current runs, else the current itself (a container in
   * CrashLoopBackOff waits to restart, and its last run is both).
   */
  previous?: ContainerStatus;
}

export async function findPodContainer(runtime: ContainerRuntime, ref: PodContainerRef): Promise<PodContainerInstances> {
  const candidates = await runtime.listContainers({
    [LABELS.managed]: 'true',
    [LABELS.node]: ref.nodeName,
    ...(ref.clusterId ? { [LABELS.cluster]: ref.clusterId } : {}),
    [LABELS.podNamespace]: ref.namespace,
    [LABELS.podName]: ref.podName,
    [LABELS.containerName]: ref.containerName,
  });
  const instances = candidates
    .filter((c) => c.labels[LABELS.role] === 'app' || c.labels[LABELS.role] === 'init')
    .sort((a, b) => attemptOf(b) - attemptOf(a) || Date.parse(b.createdAt) - Date.parse(a.createdAt));
  const [current, before] = instances;
  return { current, previous: current && current.state !== 'running' && current.state !== 'created' ? current : before };
}

function attemptOf(container: ContainerStatus): number {
  const attempt = Number(container.labels[LABELS.attempt]);
  return Number.isFinite(attempt) ? attempt : 0;
}
