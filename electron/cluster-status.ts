import type { Node, NodeList } from 'kubernetes-types/core/v1.js';

// The tray's one-line cluster status: how many nodes are Ready. Read from the API like
// any other client; a few seconds' staleness is fine for a tray tooltip.

export type ClusterStatus = { ready: number; total: number } | { error: string };

export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function summarizeNodes(list: NodeList): ClusterStatus {
  return { ready: list.items.filter(isNodeReady).length, total: list.items.length };
}

export function clusterStatusText(status: ClusterStatus): string {
  if ('error' in status) return `Kubelab: control plane not answering (${status.error})`;
  if (status.total === 0) return 'Kubelab: no nodes yet';
  return `Kubelab: ${status.ready} of ${status.total} node${status.total === 1 ? '' : 's'} Ready`;
}

export async function fetchClusterStatus(apiUrl: string, token: string, signal?: AbortSignal): Promise<ClusterStatus> {
  try {
    const response = await fetch(`${apiUrl}/api/v1/nodes`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, signal });
    if (!response.ok) return { error: `HTTP ${response.status}` };
    return summarizeNodes((await response.json()) as NodeList);
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Calls `onStatus` now and every `intervalMs` until the returned stop function is called. */
export function watchClusterStatus(apiUrl: string, token: string, onStatus: (status: ClusterStatus) => void, intervalMs = 5_000): () => void {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const status = await fetchClusterStatus(apiUrl, token, abort.signal);
    if (abort.signal.aborted) return;
    onStatus(status);
    timer = setTimeout(tick, intervalMs);
  };
  void tick();
  return () => {
    abort.abort();
    clearTimeout(timer);
  };
}
