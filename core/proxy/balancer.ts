// Backend choice for one proxy (a node proxy or the host's desktop listeners): round robin
// over the ready backends of a service port, and Kubernetes' ClientIP session affinity,
// which keeps a client on one backend until it has been idle for the timeout.
import type { Backend } from './mux-protocol.ts';

export interface AffinityPolicy {
  sessionAffinity: 'None' | 'ClientIP';
  /** Idle time after which a client may move to another backend (Kubernetes default 10800). */
  affinityTimeoutSeconds: number;
}

interface Stickiness {
  backendKey: string;
  lastUsedMs: number;
}

interface ServicePortState {
  nextIndex: number;
  affinity: Map<string, Stickiness>;
}

/** A backend's identity: node, ip and port. */
export const backendKey = (backend: Backend): string => `${backend.node}/${backend.ip}:${backend.port}`;

export class LoadBalancer {
  private readonly states = new Map<string, ServicePortState>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  /**
   * The backend for a new connection from `clientIp` to the service port `servicePortKey`
   * (any stable key, e.g. `ns/name:port`), or undefined when there is no backend.
   */
  pick(servicePortKey: string, backends: readonly Backend[], policy: AffinityPolicy, clientIp: string): Backend | undefined {
    if (backends.length === 0) {
      this.states.delete(servicePortKey);
      return undefined;
    }
    let state = this.states.get(servicePortKey);
    if (!state) {
      state = { nextIndex: 0, affinity: new Map() };
      this.states.set(servicePortKey, state);
    }
    const now = this.nowMs();
    if (policy.sessionAffinity !== 'ClientIP') {
      state.affinity.clear();
      return this.nextInTurn(state, backends);
    }

    this.forgetStale(state, backends, now, policy.affinityTimeoutSeconds * 1000);
    const sticky = state.affinity.get(clientIp);
    const kept = sticky && backends.find((backend) => backendKey(backend) === sticky.backendKey);
    if (kept && sticky) {
      sticky.lastUsedMs = now;
      return kept;
    }
    const chosen = this.nextInTurn(state, backends);
    state.affinity.set(clientIp, { backendKey: backendKey(chosen), lastUsedMs: now });
    return chosen;
  }

  /** Drops the state of service ports not in `servicePortKeys` (they left the configuration). */
  retainOnly(servicePortKeys: Iterable<string>): void {
    const keep = new Set(servicePortKeys);
    for (const key of this.states.keys()) if (!keep.has(key)) this.states.delete(key);
  }

  private nextInTurn(state: ServicePortState, backends: readonly Backend[]): Backend {
    const index = state.nextIndex % backends.length;
    state.nextIndex = (index + 1) % backends.length;
    return backends[index]!;
  }

  /** Affinity to a backend that vanished or went idle too long is forgotten. */
  private forgetStale(state: ServicePortState, backends: readonly Backend[], now: number, timeoutMs: number): void {
    const present = new Set(backends.map(backendKey));
    for (const [clientIp, sticky] of state.affinity) {
      if (!present.has(sticky.backendKey) || now - sticky.lastUsedMs > timeoutMs) state.affinity.delete(clientIp);
    }
  }
}
