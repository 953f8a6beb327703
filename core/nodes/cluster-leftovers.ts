import type Dockerode from 'dockerode';
import { LABELS } from '../agent/container-runtime.ts';
import { POD_NETWORK_NAME } from '../proxy/pod-network.ts';

// What a cluster leaves on a Docker daemon, and removing it. Everything Kubelab makes
// carries the cluster's id (kube-system's uid) in LABELS.cluster: pod and proxy
// containers, pod volumes, lab node containers and their volumes. Each daemon also
// gets one marker volume saying where the cluster's data directory is, so
// `kubelab gc` can tell a cluster that still has its data from one whose data
// directory was deleted. The pod network is shared by every cluster on a daemon and
// goes only when nothing is attached to it.

/** On a cluster's marker volume and lab node containers: the data directory it belongs to. */
export const DATA_DIR_LABEL = 'io.kubelab.data-dir';

export function clusterMarkerName(clusterId: string): string {
  return `kubelab-cluster-${clusterId}`;
}

/** Creates the cluster's marker volume on `docker` (idempotent). */
export async function ensureClusterMarker(docker: Dockerode, clusterId: string, dataDir: string): Promise<void> {
  const name = clusterMarkerName(clusterId);
  try {
    await docker.getVolume(name).inspect();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    await docker.createVolume({ Name: name, Labels: { [LABELS.managed]: 'true', [LABELS.cluster]: clusterId, [DATA_DIR_LABEL]: dataDir } });
  }
}

export interface Removed {
  containers: number;
  volumes: number;
  networks: number;
}

export const nothingRemoved = (): Removed => ({ containers: 0, volumes: 0, networks: 0 });

export function addRemoved(total: Removed, more: Removed): Removed {
  return { containers: total.containers + more.containers, volumes: total.volumes + more.volumes, networks: total.networks + more.networks };
}

const clusterFilter = (clusterId: string) => ({ label: [`${LABELS.cluster}=${clusterId}`] });

/** Removes the cluster's containers (pods, proxies, lab nodes) from `docker`, running or not. */
export async function removeClusterContainers(docker: Dockerode, clusterId: string): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters: clusterFilter(clusterId) });
  await Promise.all(containers.map((c) => ignoreNotFound(docker.getContainer(c.Id).remove({ force: true, v: true }))));
  return containers.length;
}

/** Removes everything of the cluster from `docker`: containers, volumes, and the pod network once unused. */
export async function removeClusterFromDaemon(docker: Dockerode, clusterId: string): Promise<Removed> {
  const containers = await removeClusterContainers(docker, clusterId);
  const { Volumes } = await docker.listVolumes({ filters: clusterFilter(clusterId) });
  await Promise.all((Volumes ?? []).map((v) => ignoreNotFound(docker.getVolume(v.Name).remove({ force: true }))));
  return { containers, volumes: (Volumes ?? []).length, networks: (await removePodNetworkIfUnused(docker)) ? 1 : 0 };
}

async function removePodNetworkIfUnused(docker: Dockerode): Promise<boolean> {
  let network: { Id: string; Containers?: Record<string, unknown> };
  try {
    network = (await docker.getNetwork(POD_NETWORK_NAME).inspect()) as typeof network;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
  // The daemon releases a removed container's endpoint a moment after the removal
  // returns: "active endpoints" (403/409) right after is retried for a short while.
  for (let attempt = 0; ; attempt++) {
    if (Object.keys(network.Containers ?? {}).length > 0) return false; // another cluster's pods use it
    try {
      await docker.getNetwork(network.Id).remove();
      return true;
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode ?? 0;
      if (status === 404) return false;
      if (![403, 409].includes(status) || attempt >= 20) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
    try {
      network = (await docker.getNetwork(network.Id).inspect()) as typeof network;
    } catch {
      return false; // gone meanwhile
    }
  }
}

export interface ClusterOnDaemon {
  id: string;
  /** From the marker volume or a lab node's label; undefined for clusters made before markers existed. */
  dataDir?: string;
  containers: number;
  volumes: number;
}

/** Every cluster that has something on `docker`. */
export async function clustersOnDaemon(docker: Dockerode): Promise<ClusterOnDaemon[]> {
  const clusters = new Map<string, ClusterOnDaemon>();
  const entry = (id: string) => clusters.get(id) ?? clusters.set(id, { id, containers: 0, volumes: 0 }).get(id)!;
  for (const c of await docker.listContainers({ all: true, filters: { label: [LABELS.cluster] } })) {
    const cluster = entry(c.Labels[LABELS.cluster]);
    cluster.containers++;
    cluster.dataDir ??= c.Labels[DATA_DIR_LABEL];
  }
  for (const v of (await docker.listVolumes({ filters: { label: [LABELS.cluster] } })).Volumes ?? []) {
    const cluster = entry(v.Labels[LABELS.cluster]);
    cluster.volumes++;
    cluster.dataDir ??= v.Labels[DATA_DIR_LABEL];
  }
  return [...clusters.values()].filter((c) => c.id);
}

async function ignoreNotFound(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    // 404: already gone; 409: removal already in progress.
    if (![404, 409].includes((error as { statusCode?: number }).statusCode ?? 0)) throw error;
  }
}
