import type { Container, ContainerState, ContainerStatus as K8sContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { LABELS, type ContainerStatus } from './container-runtime.ts';

// Pod status from what the runtime shows and what the agent knows (waiting reasons such as
// CrashLoopBackOff or ErrImagePull, probe results): the kubelet's generateAPIPodStatus and
// getPhase, as a pure function so every rule is unit-testable.

export interface Waiting {
  reason: string;
  message?: string;
}

export interface ContainerView {
  /** Runtime instances of this container name, newest (highest attempt) first. */
  instances: ContainerStatus[];
  /** Set by the agent while it holds the container back (back-off, pull or config errors). */
  waiting?: Waiting;
  ready: boolean;
  started: boolean;
}

export interface PodStatusInput {
  pod: Pod;
  /** The running sandbox, when there is one. */
  sandboxReady: boolean;
  podIp?: string;
  hostIp: string;
  init: Map<string, ContainerView>;
  app: Map<string, ContainerView>;
  now: Date;
}

export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod, now } = input;
  const previous = pod.status ?? {};
  const spec = pod.spec!;
  const timestamp = rfc3339(now.toISOString());
  const initDone = initializationDone(spec.initContainers ?? [], input.init, input.app);

  const initContainerStatuses = (spec.initContainers ?? []).map((c) => containerStatus(c, input.init.get(c.name), 'PodInitializing'));
  // Sorted by name, as the kubelet reports them (init containers keep their run order).
  const containerStatuses = spec.containers
    .map((c) => containerStatus(c, input.app.get(c.name), initDone ? 'ContainerCreating' : 'PodInitializing'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const wasTerminal = previous.phase === 'Succeeded' || previous.phase === 'Failed';
  const phase = wasTerminal ? previous.phase! : podPhase(spec.restartPolicy ?? 'Always', initDone, initContainerStatuses, containerStatuses);

  const condition = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
    const status = ok ? 'True' : 'False';
    const old = previous.conditions?.find((c) => c.type === type);
    const result: PodCondition = { type, status, lastProbeTime: null as unknown as string, lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : timestamp };
    if (!ok && reason) result.reason = reason;
    if (!ok && message) result.message = message;
    return result;
  };

  const incompleteInit = initContainerStatuses.filter((s) => !(s.state?.terminated?.exitCode === 0)).map((s) => s.name);
  const unready = containerStatuses.filter((s) => !s.ready).map((s) => s.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const containersReady = unready.length === 0 && !terminal;
  const gates = (spec.readinessGates ?? []).map((g) => g.conditionType);
  const gatesOpen = gates.every((type) => previous.conditions?.find((c) => c.type === type)?.status === 'True');
  const unreadyMessage = `containers with unready status: [${unready.join(' ')}]`;

  const conditions: PodCondition[] = [
    condition('PodReadyToStartContainers', input.sandboxReady && !!input.podIp),
    condition('Initialized', initDone, 'ContainersNotInitialized', `containers with incomplete status: [${incompleteInit.join(' ')}]`),
    terminal
      ? condition('Ready', false, 'PodCompleted')
      : containersReady && !gatesOpen
        ? condition('Ready', false, 'ReadinessGatesNotReady', 'corresponding condition of pod readiness gate is not true')
        : condition('Ready', containersReady, 'ContainersNotReady', unreadyMessage),
    terminal ? condition('ContainersReady', false, 'PodCompleted') : condition('ContainersReady', containersReady, 'ContainersNotReady', unreadyMessage),
  ];
  const ours = new Set(conditions.map((c) => c.type));
  for (const other of previous.conditions ?? []) if (!ours.has(other.type)) conditions.push(other);

  const status: PodStatus = {
    ...previous,
    phase,
    conditions,
    hostIP: input.hostIp,
    hostIPs: [{ ip: input.hostIp }],
    startTime: previous.startTime ?? timestamp,
    containerStatuses,
  };
  if (input.podIp) {
    status.podIP = input.podIp;
    status.podIPs = [{ ip: input.podIp }];
  }
  if (initContainerStatuses.length) status.initContainerStatuses = initContainerStatuses;
  else delete status.initContainerStatuses;
  return status;
}

/** Done when every init container succeeded, or an app container has already been started. */
export function initializationDone(initContainers: Container[], init: Map<string, ContainerView>, app: Map<string, ContainerView>): boolean {
  if ([...app.values()].some((v) => v.instances.length > 0)) return true;
  return initContainers.every((c) => {
    const latest = init.get(c.name)?.instances[0];
    return latest?.state === 'exited' && latest.exitCode === 0 && !latest.error;
  });
}

function containerStatus(spec: Container, view: ContainerView | undefined, defaultWaiting: string): K8sContainerStatus {
  const [latest, previous] = view?.instances ?? [];
  const status: K8sContainerStatus = {
    name: spec.name,
    image: spec.image ?? '',
    imageID: latest?.imageId ?? '',
    ready: !!view?.ready && latest?.state === 'running',
    started: !!view?.started && latest?.state === 'running',
    restartCount: latest ? Number(latest.labels[LABELS.attempt] ?? 0) : 0,
    state: {},
    lastState: {},
  };
  if (latest) status.containerID = `docker://${latest.id}`;

  if (view?.waiting) {
    status.state = { waiting: { ...view.waiting } };
    if (latest && latest.state !== 'running') status.lastState = terminatedState(latest);
    else if (previous) status.lastState = terminatedState(previous);
    return status;
  }
  if (!latest) {
    status.state = { waiting: { reason: defaultWaiting } };
    return status;
  }
  if (previous) status.lastState = terminatedState(previous);
  if (latest.state === 'running') status.state = { running: { startedAt: rfc3339(latest.startedAt) } };
  else if (latest.state === 'exited') status.state = terminatedState(latest);
  else status.state = { waiting: { reason: 'ContainerCreating' } };
  return status;
}

function terminatedState(container: ContainerStatus): ContainerState {
  const exitCode = container.exitCode ?? (container.error ? 128 : 0);
  const reason = container.error ? 'StartError' : container.oomKilled ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  const terminated: NonNullable<ContainerState['terminated']> = {
    exitCode,
    reason,
    startedAt: rfc3339(container.startedAt ?? container.createdAt),
    finishedAt: rfc3339(container.finishedAt ?? container.startedAt ?? container.createdAt),
    containerID: `docker://${container.id}`,
  };
  if (container.error) terminated.message = container.error;
  return { terminated };
}

/** The kubelet's getPhase. */
export function podPhase(restartPolicy: string, initDone: boolean, init: K8sContainerStatus[], app: K8sContainerStatus[]): PodStatus['phase'] {
  if (!initDone) {
    const failedInit = init.some((s) => (s.state?.terminated && s.state.terminated.exitCode !== 0) || (s.state?.waiting && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0));
    if (failedInit && restartPolicy === 'Never') return 'Failed';
    return 'Pending';
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of app) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function rfc3339(iso: string | undefined): string {
  const date = iso ? new Date(iso) : new Date();
  return `${(Number.isNaN(date.getTime()) ? new Date() : date).toISOString().slice(0, 19)}Z`;
}
