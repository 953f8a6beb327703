import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Container, Probe } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../log/logger.ts';
import type { ContainerRuntime } from './container-runtime.ts';

// The kubelet's prober: one worker per probe of each running container, on its own timer.
// Startup gates liveness and readiness; liveness failures past the threshold ask the agent
// to restart the container; readiness and startup results feed containerStatuses.
//
// Where a probe connects from (the one decision this file owns):
// - exec probes run in the container through runtime.execSimple, on any daemon.
// - httpGet and tcpSocket probes on a *local* daemon connect from the agent process
//   to the pod IP: the agent shares the host with the daemon's bridge network, exactly
//   like the kubelet.
// - On a remote or lab daemon the pod IP is not routable from the agent. With a pod
//   dialer (the service proxy's: it reaches every node's pods through that node's proxy)
//   they connect through it, like the kubelet on the pod's own node. Without one, the
//   probe runs *inside the container* with the image's own `wget` (HTTP) or `nc` (TCP)
//   against 127.0.0.1, the pod's network namespace; images without those tools
//   (distroless) cannot be probed that way, and the Unhealthy event says so.

export type ProbeKind = 'startup' | 'liveness' | 'readiness';
export type PodDial = (podIp: string, port: number) => Promise<Duplex>;
export type EndpointKind = 'local' | 'tcp' | 'ssh' | 'lab';

export interface ProbeTarget {
  podKey: string;
  podUid: string;
  containerId: string;
  container: Container;
  podIp: string;
}

export interface ProbeListener {
  /** A readiness or startup result flipped: the pod's status needs rewriting. */
  onResultChange(target: ProbeTarget): void;
  /** One failed attempt (Unhealthy event). */
  onProbeFailure(target: ProbeTarget, kind: ProbeKind, message: string): void;
  /** Liveness (or startup) failed failureThreshold times in a row: restart the container. */
  onContainerUnhealthy(target: ProbeTarget, kind: 'liveness' | 'startup', message: string): void;
}

export interface ProbeOutcome {
  success: boolean;
  message: string;
}

interface ContainerProbes {
  target: ProbeTarget;
  started: boolean;
  ready: boolean;
  timers: Set<ReturnType<typeof setTimeout>>;
  stopped: boolean;
}

export class ProbeManager {
  private readonly byContainerId = new Map<string, ContainerProbes>();

  constructor(
    private readonly runtime: ContainerRuntime,
    private readonly endpointKind: EndpointKind,
    private readonly listener: ProbeListener,
    private readonly logger?: Logger,
    /** Opens a connection to podIp:port on this node from wherever the agent runs. */
    private readonly dialPod?: PodDial,
  ) {}

  /** Starts the probe workers of a running container once; stops those of its previous instances. */
  ensure(target: ProbeTarget): void {
    if (this.byContainerId.has(target.containerId)) return;
    for (const [id, entry] of this.byContainerId) {
      if (entry.target.podUid === target.podUid && entry.target.container.name === target.container.name) this.stop(id);
    }
    const { startupProbe, livenessProbe, readinessProbe } = target.container;
    const entry: ContainerProbes = { target, started: !startupProbe, ready: !readinessProbe, timers: new Set(), stopped: false };
    this.byContainerId.set(target.containerId, entry);
    if (startupProbe) this.schedule(entry, 'startup', startupProbe);
    if (livenessProbe) this.schedule(entry, 'liveness', livenessProbe);
    if (readinessProbe) this.schedule(entry, 'readiness', readinessProbe);
  }

  /** Started: no startup probe, or it has succeeded. Unknown containers are not. */
  isStarted(containerId: string): boolean {
    return this.byContainerId.get(containerId)?.started ?? false;
  }

  isReady(containerId: string): boolean {
    const entry = this.byContainerId.get(containerId);
    return !!entry && entry.started && entry.ready;
  }

  isTracked(containerId: string): boolean {
    return this.byContainerId.has(containerId);
  }

  stop(containerId: string): void {
    const entry = this.byContainerId.get(containerId);
    if (!entry) return;
    entry.stopped = true;
    for (const timer of entry.timers) clearTimeout(timer);
    this.byContainerId.delete(containerId);
  }

  stopPod(podUid: string): void {
    for (const [id, entry] of [...this.byContainerId]) if (entry.target.podUid === podUid) this.stop(id);
  }

  stopAll(): void {
    for (const id of [...this.byContainerId.keys()]) this.stop(id);
  }

  private schedule(entry: ContainerProbes, kind: ProbeKind, probe: Probe): void {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const successThreshold = kind === 'readiness' ? (probe.successThreshold ?? 1) : 1;
    const failureThreshold = probe.failureThreshold ?? 3;
    let successes = 0;
    let failures = 0;
    const tick = async (): Promise<void> => {
      if (entry.stopped) return;
      // Liveness and readiness wait for the startup probe, as in Kubernetes.
      if (kind !== 'startup' && !entry.started) return this.after(entry, period, tick);
      if (kind === 'startup' && entry.started) return;
      const outcome = await this.run(entry.target, probe);
      if (entry.stopped) return;
      if (outcome.success) {
        successes++;
        failures = 0;
      } else {
        failures++;
        successes = 0;
        this.listener.onProbeFailure(entry.target, kind, outcome.message);
      }
      if (kind === 'startup') {
        if (successes >= 1) {
          entry.started = true;
          this.listener.onResultChange(entry.target);
          return;
        }
        if (failures >= failureThreshold) {
          failures = 0;
          this.listener.onContainerUnhealthy(entry.target, 'startup', outcome.message);
        }
      } else if (kind === 'liveness') {
        if (failures >= failureThreshold) {
          failures = 0;
          this.listener.onContainerUnhealthy(entry.target, 'liveness', outcome.message);
        }
      } else {
        const before = entry.ready;
        if (successes >= successThreshold) entry.ready = true;
        if (failures >= failureThreshold) entry.ready = false;
        if (before !== entry.ready) this.listener.onResultChange(entry.target);
      }
      this.after(entry, period, tick);
    };
    this.after(entry, (probe.initialDelaySeconds ?? 0) * 1000, tick);
  }

  private after(entry: ContainerProbes, ms: number, fn: () => Promise<void>): void {
    if (entry.stopped) return;
    const timer = setTimeout(() => {
      entry.timers.delete(timer);
      fn().catch((error: unknown) => this.logger?.warn('probe worker failed', { pod: entry.target.podKey, error: String(error) }));
    }, ms);
    entry.timers.add(timer);
  }

  /** Runs one probe attempt; never throws. */
  async run(target: ProbeTarget, probe: Probe): Promise<ProbeOutcome> {
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
    try {
      if (probe.exec) {
        const result = await this.runtime.execSimple(target.containerId, probe.exec.command ?? [], timeoutMs);
        if (result.timedOut) return { success: false, message: `command timed out after ${probe.timeoutSeconds ?? 1}s` };
        return { success: result.exitCode === 0, message: result.output.trim() || `command exited with ${result.exitCode}` };
      }
      if (probe.httpGet) {
        const port = resolvePort(probe.httpGet.port, target.container);
        const path = probe.httpGet.path || '/';
        const headers = Object.fromEntries((probe.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value]));
        const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase() as 'http' | 'https';
        if (this.endpointKind === 'local' || probe.httpGet.host || this.dialPod) {
          const dial = this.endpointKind === 'local' || probe.httpGet.host ? undefined : this.dialPod;
          return await httpProbe(scheme, probe.httpGet.host || target.podIp, port, path, headers, timeoutMs, dial);
        }
        return await this.inContainer(target, timeoutMs, httpInContainerScript(scheme, port, path, headers, timeoutMs), 'wget');
      }
      if (probe.tcpSocket) {
        const port = resolvePort(probe.tcpSocket.port, target.container);
        if (this.endpointKind === 'local' || probe.tcpSocket.host) return await tcpProbe(probe.tcpSocket.host || target.podIp, port, timeoutMs);
        if (this.dialPod) return await dialProbe(this.dialPod, target.podIp, port, timeoutMs);
        const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
        return await this.inContainer(target, timeoutMs, `timeout ${seconds} nc -z 127.0.0.1 ${port}`, 'nc');
      }
      if (probe.grpc) return { success: false, message: 'gRPC probes are not supported by Kubelab; use exec, httpGet or tcpSocket' };
      return { success: true, message: '' };
    } catch (error) {
      return { success: false, message: (error as Error).message };
    }
  }

  private async inContainer(target: ProbeTarget, timeoutMs: number, script: string, tool: string): Promise<ProbeOutcome> {
    const result = await this.runtime.execSimple(target.containerId, ['sh', '-c', script], timeoutMs + 1000);
    if (result.exitCode === 126 || result.exitCode === 127 || /not found|no such file/i.test(result.output)) {
      return {
        success: false,
        message: `the node's daemon is not local, so Kubelab runs this probe inside the container with "${tool}", which the image lacks: ${result.output.trim() || `exit ${result.exitCode}`}`,
      };
    }
    if (result.timedOut) return { success: false, message: `probe timed out after ${timeoutMs / 1000}s` };
    return { success: result.exitCode === 0, message: result.output.trim() || `probe exited with ${result.exitCode}` };
  }
}

function resolvePort(port: number | string, container: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port "${port}" is not a named port of container "${container.name}"`);
  return named.containerPort;
}

function httpInContainerScript(scheme: string, port: number, path: string, headers: Record<string, string>, timeoutMs: number): string {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const headerArgs = Object.entries(headers)
    .map(([name, value]) => `--header ${shellQuote(`${name}: ${value}`)}`)
    .join(' ');
  // busybox `wget -T` crashes; `timeout` bounds it instead.
  return `timeout ${seconds} wget -q -O /dev/null ${headerArgs} ${shellQuote(`${scheme}://127.0.0.1:${port}${path}`)}`;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function httpProbe(
  scheme: 'http' | 'https',
  host: string,
  port: number,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
  dial?: PodDial,
): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const transport = scheme === 'https' ? https : http;
    // Through the pod dialer, the request rides a stream the node's proxy opened to the pod.
    const viaDialer = dial && {
      createConnection: (_options: unknown, created: (error: Error | null, stream?: Duplex) => void) => {
        dial(host, port).then((stream) => created(null, stream), (error: Error) => created(error));
        return undefined;
      },
    };
    const request = transport.request(
      {
        host,
        port,
        path,
        method: 'GET',
        headers: { 'User-Agent': 'kube-probe/1.32', Accept: '*/*', ...headers },
        timeout: timeoutMs,
        rejectUnauthorized: false,
        ...(viaDialer as object),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < 1024) body += chunk;
        });
        response.on('end', () => {
          if (status >= 200 && status < 400) resolve({ success: true, message: '' });
          else resolve({ success: false, message: `HTTP probe failed with statuscode: ${status}` });
        });
        response.on('error', (error) => resolve({ success: false, message: error.message }));
      },
    );
    request.on('timeout', () => {
      request.destroy();
      resolve({ success: false, message: `Get "${scheme}://${host}:${port}${path}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
    });
    request.on('error', (error) => resolve({ success: false, message: `Get "${scheme}://${host}:${port}${path}": ${error.message}` }));
    request.end();
  });
}

/** A tcpSocket probe through the pod dialer: success when the node's proxy could connect. */
async function dialProbe(dial: PodDial, podIp: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<ProbeOutcome>((resolve) => (timer = setTimeout(() => resolve({ success: false, message: `dial tcp ${podIp}:${port}: i/o timeout` }), timeoutMs)));
  const attempt = dial(podIp, port).then(
    (stream) => {
      stream.destroy();
      return { success: true, message: '' };
    },
    (error: Error) => ({ success: false, message: `dial tcp ${podIp}:${port}: ${error.message}` }),
  );
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (outcome: ProbeOutcome): void => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done({ success: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once('connect', () => done({ success: true, message: '' }));
    socket.once('error', (error) => done({ success: false, message: `dial tcp ${host}:${port}: ${error.message}` }));
  });
}
