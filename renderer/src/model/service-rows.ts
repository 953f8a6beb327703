import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';

// What the Services view shows per Service: its addresses inside the cluster and the
// 127.0.0.1 port Kubelab's service proxy opened for it on this machine.

export const DESKTOP_PORTS_ANNOTATION = 'kubelab.io/desktop-ports';

export interface ServicePortRow {
  /** `80:30080/TCP → 8080` as kubectl and the docs write it. */
  text: string;
  /** http://127.0.0.1:N for this port, when the proxy has opened one. */
  desktopUrl?: string;
}

export interface ServiceRow {
  key: string;
  namespace: string;
  name: string;
  type: string;
  clusterIP: string;
  ports: ServicePortRow[];
  ready: number;
  notReady: number;
  selector: string;
  labels: Record<string, string>;
}

export function desktopPorts(service: Service): Record<string, number> {
  try {
    const parsed = JSON.parse(service.metadata?.annotations?.[DESKTOP_PORTS_ANNOTATION] ?? '{}') as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
  } catch {
    return {};
  }
}

export function serviceRow(service: Service, endpoints: Endpoints | undefined): ServiceRow {
  const desktop = desktopPorts(service);
  const ports = (service.spec?.ports ?? []).map((port) => {
    const node = port.nodePort ? `:${port.nodePort}` : '';
    const target = port.targetPort !== undefined && String(port.targetPort) !== String(port.port) ? ` → ${port.targetPort}` : '';
    // Desktop listeners are TCP only; a UDP port of the same number is not behind them.
    const local = (port.protocol ?? 'TCP') === 'TCP' ? desktop[String(port.port)] : undefined;
    return { text: `${port.port}${node}/${port.protocol ?? 'TCP'}${target}`, desktopUrl: local ? `http://127.0.0.1:${local}` : undefined };
  });
  const subsets = endpoints?.subsets ?? [];
  return {
    key: `${service.metadata?.namespace}/${service.metadata?.name}`,
    namespace: service.metadata?.namespace ?? '',
    name: service.metadata?.name ?? '',
    type: service.spec?.type ?? 'ClusterIP',
    clusterIP: service.spec?.clusterIP ?? '',
    ports,
    ready: subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0),
    notReady: subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0),
    selector: Object.entries(service.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    labels: service.metadata?.labels ?? {},
  };
}
