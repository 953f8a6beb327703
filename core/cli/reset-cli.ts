import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { findByPlural } from '../api/resource-catalog.ts';
import { storedClusterId } from '../cluster/cluster-identity.ts';
import { startControlPlane, type ResetResult } from '../cluster/control-plane.ts';
import { defaultDataDir } from '../cluster/data-paths.ts';
import { connectToServe } from '../nodes/node-commands.ts';
import { dataDirOwner } from '../store/data-dir-lock.ts';

// `kubelab reset`: every container, volume, network and lab node of the cluster goes,
// and so do its objects; the token, certificates and kubeconfig stay. With a
// `kubelab serve` running on the data directory, that serve does it (through
// POST /kubelab/v1/reset, as the GUI's button does) and comes back as a new, empty
// cluster on the same address; without one, this command starts the control plane
// just long enough to do it.

export const RESET_USAGE = `Usage: kubelab reset [--data-dir DIR] [--yes]

Removes every pod container, volume, network and lab node of the cluster from all its
nodes, and deletes its objects: the next start is an empty cluster. The token,
certificates and kubeconfig stay, so kubectl keeps working. Images stay too.
  --data-dir DIR   the cluster's data directory (default: ${defaultDataDir()})
  --yes            do not ask first (needed without a terminal)
`;

const NAMESPACES = findByPlural('', 'v1', 'namespaces')!;

export async function resetCommand(args: string[]): Promise<number> {
  let values: { 'data-dir'?: string; yes?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, yes: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    process.stderr.write(`kubelab reset: ${(error as Error).message}\n\n${RESET_USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(RESET_USAGE);
    return 0;
  }
  const dataDir = values['data-dir'] ?? defaultDataDir();
  const clusterId = await storedClusterId(dataDir);
  if (!clusterId) {
    process.stdout.write(`kubelab reset: ${dataDir} holds no cluster; nothing to reset (kubelab gc removes what deleted data directories left behind)\n`);
    return 0;
  }
  if (!values.yes && !(await confirm(`Remove every pod, volume and lab node of the cluster in ${dataDir}, and all its objects? [y/N] `))) {
    if (!process.stdin.isTTY) process.stderr.write('kubelab reset: not confirmed; pass --yes to reset without a terminal\n');
    else process.stderr.write('kubelab reset: nothing changed\n');
    return 1;
  }
  try {
    if (await dataDirOwner(dataDir)) {
      await resetThroughServe(dataDir, clusterId);
    } else {
      const controlPlane = await startControlPlane({ dataDir, localNode: false });
      try {
        process.stdout.write(`kubelab reset: ${describeReset(await controlPlane.reset({ restart: false }))}\n`);
      } finally {
        await controlPlane.stop();
      }
    }
  } catch (error) {
    process.stderr.write(`kubelab reset: ${(error as Error).message}\n`);
    return 1;
  }
  return 0;
}

async function resetThroughServe(dataDir: string, oldClusterId: string): Promise<void> {
  const client = await connectToServe(dataDir);
  await client.raw('POST', '/kubelab/v1/reset');
  process.stdout.write(`kubelab reset: the running kubelab serve is removing the cluster; waiting for it to come back empty\n`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    const uid = await client
      .get(NAMESPACES, undefined, 'kube-system')
      .then((ns) => ns.metadata.uid)
      .catch(() => undefined);
    if (uid && uid !== oldClusterId) break;
    if (Date.now() > deadline) throw new Error('the running kubelab serve did not come back within 10 minutes; see its output');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  process.stdout.write(`kubelab reset: done; kubelab serve runs a new, empty cluster on the same address (its output lists what was removed)\n`);
}

/** "removed 4 containers, 3 volumes, 1 network and 1 lab node", plus what could not be cleaned. */
export function describeReset(result: ResetResult): string {
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const parts = [count(result.containers, 'container'), count(result.volumes, 'volume'), count(result.networks, 'network'), count(result.labNodes, 'lab node')];
  const removed = `removed ${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return result.problems.length ? `${removed}; not cleaned:\n${result.problems.map((p) => `  ${p}`).join('\n')}` : removed;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
