import { chmod, rename, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

// A kubeconfig that works with kubectl as it is: one cluster, one user with the
// bearer token, one context, selected. Written atomically, readable only by the user.

export function kubeconfigYaml(server: string, token: string, caCert: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubelab', cluster: { server, 'certificate-authority-data': Buffer.from(caCert).toString('base64') } }],
    users: [{ name: 'kubelab-admin', user: { token } }],
    contexts: [{ name: 'kubelab', context: { cluster: 'kubelab', user: 'kubelab-admin', namespace: 'default' } }],
    'current-context': 'kubelab',
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, server: string, token: string, caCert: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, kubeconfigYaml(server, token, caCert), { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, path);
}
