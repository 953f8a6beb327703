import type { Container, ContainerState, ContainerStatus, Event, Pod, Probe } from 'kubernetes-types/core/v1.js';

// One container as the pod panel shows it: `kubectl describe pod`'s container block
// (state, last state, ready, restarts, image, probes), with each probe's latest result
// taken from the container status (ready, started) and the kubelet's Unhealthy events.

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeSummary {
  kind: ProbeKind;
  /** kubectl describe's one-line form: "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3". */
  description: string;
  /** 'passing' | 'failing' | 'unknown' */
  result: 'passing' | 'failing' | 'unknown';
  /** The latest Unhealthy event message for this probe. */
  lastFailure: string | undefined;
}

export interface StateSummary {
  /** 'waiting' | 'running' | 'terminated' | 'unknown' */
  phase: 'waiting' | 'running' | 'terminated' | 'unknown';
  reason: string | undefined;
  message: string | undefined;
  since: string | undefined;
  exitCode: number | undefined;
}

export interface ContainerSummary {
  name: string;
  init: boolean;
  image: string;
  state: StateSummary;
  lastState: StateSummary | undefined;
  ready: boolean;
  restarts: number;
  probes: ProbeSummary[];
}

export function describeState(state: ContainerState | undefined): StateSummary {
  if (state?.running) return { phase: 'running', reason: undefined, message: undefined, since: state.running.startedAt, exitCode: undefined };
  if (state?.terminated) {
    const t = state.terminated;
    return { phase: 'terminated', reason: t.reason, message: t.message, since: t.finishedAt, exitCode: t.exitCode };
  }
  if (state?.waiting) return { phase: 'waiting', reason: state.waiting.reason, message: state.waiting.message, since: undefined, exitCode: undefined };
  return { phase: 'unknown', reason: undefined, message: undefined, since: undefined, exitCode: undefined };
}

export function describeProbe(probe: Probe): string {
  let action = 'unknown';
  if (probe.httpGet) {
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    action = `http-get ${scheme}://${probe.httpGet.host ?? ''}:${probe.httpGet.port}${probe.httpGet.path ?? '/'}`;
  } else if (probe.tcpSocket) action = `tcp-socket ${probe.tcpSocket.host ?? ''}:${probe.tcpSocket.port}`;
  else if (probe.exec) action = `exec [${(probe.exec.command ?? []).join(' ')}]`;
  else if (probe.grpc) action = `grpc <pod>:${probe.grpc.port} ${probe.grpc.service ?? ''}`.trimEnd();
  return `${action} delay=${probe.initialDelaySeconds ?? 0}s timeout=${probe.timeoutSeconds ?? 1}s period=${probe.periodSeconds ?? 10}s #success=${probe.successThreshold ?? 1} #failure=${probe.failureThreshold ?? 3}`;
}

const PROBE_LABEL: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

function probeSummaries(container: Container, status: ContainerStatus | undefined, unhealthy: readonly Event[]): ProbeSummary[] {
  const probes: [ProbeKind, Probe | undefined][] = [
    ['liveness', container.livenessProbe],
    ['readiness', container.readinessProbe],
    ['startup', container.startupProbe],
  ];
  const running = !!status?.state?.running;
  return probes
    .filter((entry): entry is [ProbeKind, Probe] => entry[1] !== undefined)
    .map(([kind, probe]) => {
      const lastFailure = [...unhealthy].reverse().find((event) => (event.message ?? '').startsWith(`${PROBE_LABEL[kind]} probe failed`))?.message;
      let result: ProbeSummary['result'] = 'unknown';
      if (kind === 'readiness') result = status?.ready ? 'passing' : running ? 'failing' : 'unknown';
      else if (kind === 'startup') result = status?.started ? 'passing' : running ? (lastFailure ? 'failing' : 'unknown') : 'unknown';
      // Liveness has no status field: a running container whose latest Unhealthy event is older than its start passes.
      else if (running) {
        const since = status?.state?.running?.startedAt ?? '';
        const failedSinceStart = [...unhealthy].some((event) => (event.message ?? '').startsWith('Liveness probe failed') && String(event.lastTimestamp ?? '') >= since);
        result = failedSinceStart ? 'failing' : 'passing';
      }
      return { kind, description: describeProbe(probe), result, lastFailure };
    });
}

/** Init containers first, then the app containers, each with its status and probes. */
export function containerSummaries(pod: Pod, podEvents: readonly Event[]): ContainerSummary[] {
  const unhealthyFor = (name: string, init: boolean) =>
    podEvents.filter((event) => event.reason === 'Unhealthy' && event.involvedObject?.fieldPath === `spec.${init ? 'initContainers' : 'containers'}{${name}}`);
  const summarize = (container: Container, statuses: readonly ContainerStatus[], init: boolean): ContainerSummary => {
    const status = statuses.find((s) => s.name === container.name);
    const last = status?.lastState;
    return {
      name: container.name,
      init,
      image: container.image ?? '',
      state: describeState(status?.state),
      lastState: last && (last.running || last.terminated || last.waiting) ? describeState(last) : undefined,
      ready: !!status?.ready,
      restarts: status?.restartCount ?? 0,
      probes: probeSummaries(container, status, unhealthyFor(container.name, init)),
    };
  };
  return [
    ...(pod.spec?.initContainers ?? []).map((c) => summarize(c, pod.status?.initContainerStatuses ?? [], true)),
    ...(pod.spec?.containers ?? []).map((c) => summarize(c, pod.status?.containerStatuses ?? [], false)),
  ];
}

/** The pod's controller, as "ReplicaSet/web-7d9c". */
export function ownerOf(pod: Pod): string | undefined {
  const ref = (pod.metadata?.ownerReferences ?? []).find((r) => r.controller) ?? pod.metadata?.ownerReferences?.[0];
  return ref ? `${ref.kind}/${ref.name}` : undefined;
}
