import { parseArgs } from 'node:util';
import Dockerode from 'dockerode';
import { storedClusterId } from '../cluster/cluster-identity.ts';
import { createDocker, EndpointError, parseDockerEndpoint } from '../nodes/docker-endpoint.ts';
import { clustersOnDaemon, removeClusterFromDaemon, type ClusterOnDaemon } from '../nodes/cluster-leftovers.ts';
import { dataDirOwner } from '../store/data-dir-lock.ts';

// `kubelab gc`: removes what clusters whose data directory is gone left on the Docker
// daemons it can reach (the local one, and any named with --docker). A cluster is left
// alone while its data directory still holds it or a kubelab runs on it; one made
// before clusters recorded their data directory is only listed, unless named with
// --cluster.

export const GC_USAGE = `Usage: kubelab gc [--docker URL]... [--cluster ID]... [--dry-run]

Removes the containers, volumes and lab nodes of clusters whose data directory is gone.
  --docker URL   another daemon to clean (unix:///path, ssh://user@host; default: the local one only)
  --cluster ID   also remove this cluster, whatever its data directory says
  --dry-run      only say what would be removed
`;

export async function gcCommand(args: string[]): Promise<number> {
  let values: { docker?: string[]; cluster?: string[]; 'dry-run'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: { docker: { type: 'string', multiple: true }, cluster: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`kubelab gc: ${(error as Error).message}\n\n${GC_USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(GC_USAGE);
    return 0;
  }
  const daemons: { url: string; docker: Dockerode }[] = [{ url: 'the local Docker daemon', docker: new Dockerode() }];
  try {
    for (const url of values.docker ?? []) daemons.push({ url, docker: createDocker(parseDockerEndpoint(url, '--docker'), {}) });
  } catch (error) {
    process.stderr.write(`kubelab gc: ${(error as Error).message}\n`);
    return error instanceof EndpointError ? 2 : 1;
  }
  let failed = false;
  for (const { url, docker } of daemons) {
    try {
      for (const cluster of await clustersOnDaemon(docker)) {
        const verdict = await judge(cluster, new Set(values.cluster ?? []));
        const what = `cluster ${cluster.id} on ${url} (${cluster.containers} containers, ${cluster.volumes} volumes)`;
        if (verdict.keep) {
          process.stdout.write(`kept ${what}: ${verdict.why}\n`);
        } else if (values['dry-run']) {
          process.stdout.write(`would remove ${what}: ${verdict.why}\n`);
        } else {
          await removeClusterFromDaemon(docker, cluster.id);
          process.stdout.write(`removed ${what}: ${verdict.why}\n`);
        }
      }
    } catch (error) {
      process.stderr.write(`kubelab gc: ${url}: ${(error as Error).message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

async function judge(cluster: ClusterOnDaemon, named: Set<string>): Promise<{ keep: boolean; why: string }> {
  if (named.has(cluster.id)) return { keep: false, why: 'named with --cluster' };
  if (!cluster.dataDir) return { keep: true, why: `it does not record its data directory (made by an older Kubelab); kubelab gc --cluster ${cluster.id} removes it` };
  const owner = await dataDirOwner(cluster.dataDir);
  if (owner) return { keep: true, why: `a kubelab (pid ${owner}) runs on ${cluster.dataDir}` };
  const stored = await storedClusterId(cluster.dataDir);
  if (stored === cluster.id) return { keep: true, why: `its data directory ${cluster.dataDir} is there (kubelab reset --data-dir ${cluster.dataDir} removes it)` };
  return { keep: false, why: stored ? `${cluster.dataDir} now holds another cluster` : `its data directory ${cluster.dataDir} is gone` };
}
