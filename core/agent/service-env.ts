import { isIPv6 } from 'node:net';
import type { Service } from 'kubernetes-types/core/v1.js';

// The Service environment variables the kubelet gives every container
// (pkg/kubelet/kubelet_pods.go getServiceEnvVarMap, pkg/kubelet/envvars FromServices):
// `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT[_<PORTNAME>]` and the Docker-link style
// `<NAME>_PORT...` for each Service with a ClusterIP that existed when the container started.

/** Services the kubelet always adds from the default namespace, even with enableServiceLinks false. */
const MASTER_SERVICES = new Set(['kubernetes']);

function hasClusterIP(service: Service): boolean {
  const ip = service.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** `makeEnvVariableName`: upper case, '-' becomes '_'. */
export function envVariableName(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

/**
 * The Services whose variables a pod in `namespace` gets: its namespace's Services when
 * enableServiceLinks (default true), plus `kubernetes` from the default namespace always.
 * A Service of the pod's namespace wins over a default-namespace one of the same name.
 */
export function servicesForPod(services: readonly Service[], namespace: string, enableServiceLinks: boolean): Service[] {
  const byName = new Map<string, Service>();
  for (const service of services) {
    if (!hasClusterIP(service)) continue;
    const name = service.metadata?.name ?? '';
    const serviceNamespace = service.metadata?.namespace ?? 'default';
    if (serviceNamespace === 'default' && MASTER_SERVICES.has(name)) {
      if (!byName.has(name)) byName.set(name, service);
    } else if (serviceNamespace === namespace && enableServiceLinks) {
      byName.set(name, service);
    }
  }
  return [...byName.values()];
}

/** `envvars.FromServices`: the variables of each Service, in the kubelet's order. */
export function serviceEnvVars(services: readonly Service[]): [string, string][] {
  const result: [string, string][] = [];
  for (const service of services) {
    const ports = service.spec?.ports ?? [];
    if (!hasClusterIP(service) || ports.length === 0) continue;
    const clusterIP = service.spec!.clusterIP!;
    const prefix = envVariableName(service.metadata?.name ?? '');
    result.push([`${prefix}_SERVICE_HOST`, clusterIP]);
    result.push([`${prefix}_SERVICE_PORT`, String(ports[0].port)]);
    for (const port of ports) {
      if (port.name) result.push([`${prefix}_SERVICE_PORT_${envVariableName(port.name)}`, String(port.port)]);
    }
    ports.forEach((port, i) => {
      const protocol = (port.protocol ?? 'TCP').toLowerCase();
      const hostPort = isIPv6(clusterIP) ? `[${clusterIP}]:${port.port}` : `${clusterIP}:${port.port}`;
      const url = `${protocol}://${hostPort}`;
      if (i === 0) result.push([`${prefix}_PORT`, url]);
      const portPrefix = `${prefix}_PORT_${port.port}_${protocol.toUpperCase()}`;
      result.push([portPrefix, url], [`${portPrefix}_PROTO`, protocol], [`${portPrefix}_PORT`, String(port.port)], [`${portPrefix}_ADDR`, clusterIP]);
    });
  }
  return result;
}

/** What the kubelet computes for one pod: the Service variables as a map (later Services win). */
export function serviceEnvForPod(services: readonly Service[], namespace: string, enableServiceLinks = true): Map<string, string> {
  return new Map(serviceEnvVars(servicesForPod(services, namespace, enableServiceLinks)));
}
