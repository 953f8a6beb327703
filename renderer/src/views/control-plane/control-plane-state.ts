import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ComponentInfo } from '../../../../core/cluster/component-info.ts';

// What the control-plane panel shows, from Kubelab's /kubelab/v1/components (the running
// copies and their latest actions) and the Leases the copies compete for. A copy's lease
// identity is its name plus a random suffix ("scheduler-2-a1b2c3"), so the holder names
// the copy that leads.

export type { ComponentInfo };

export const COMPONENTS_PATH = '/kubelab/v1/components';

/** Lease name (in kube-system) per component kind, as Kubernetes names them. */
export const LEASE_OF_KIND: Record<string, string> = {
  scheduler: 'kube-scheduler',
  'controller-manager': 'kube-controller-manager',
};

export interface LeaseState {
  name: string;
  holderIdentity: string;
  /** The copy whose identity holds the lease, when it is one we know. */
  holderCopy?: string;
  /** Holder stopped renewing: the lease runs out and another copy may take it. */
  expired: boolean;
  renewTime?: string;
}

export function holderCopy(holderIdentity: string, copies: readonly string[]): string | undefined {
  const cut = holderIdentity.lastIndexOf('-');
  const name = cut > 0 ? holderIdentity.slice(0, cut) : holderIdentity;
  return copies.find((copy) => copy === name || copy === holderIdentity);
}

export function leaseState(lease: Lease | undefined, name: string, copies: readonly string[], now: number): LeaseState {
  const holderIdentity = lease?.spec?.holderIdentity ?? '';
  const renewTime = lease?.spec?.renewTime ?? lease?.spec?.acquireTime;
  const durationMs = (lease?.spec?.leaseDurationSeconds ?? 0) * 1000;
  const renewed = renewTime ? Date.parse(renewTime) : NaN;
  const expired = !holderIdentity || Number.isNaN(renewed) || renewed + durationMs < now;
  return { name, holderIdentity, holderCopy: holderIdentity ? holderCopy(holderIdentity, copies) : undefined, expired, renewTime };
}

export interface ActionEntry {
  time: string;
  action: string;
  component: string;
}

/** Every copy's latest actions in one list, newest first. */
export function latestActions(components: readonly ComponentInfo[], limit = 30): ActionEntry[] {
  return components
    .flatMap((c) => c.recentActions.map((a) => ({ ...a, component: c.name })))
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
    .slice(0, limit);
}
