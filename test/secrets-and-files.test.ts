import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from './support/kubectl.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { secretsInLogs } from './support/secret-scan.ts';
import { SERVE_LOGS_DIR } from './support/test-secrets.ts';

// What a person trusts Kubelab with stays private: a Secret's value never appears in
// Kubelab's own logs, at the most verbose level, through every path it travels (kubectl
// create, env and volume of a running pod, a refused write, deletion); and everything
// in the data directory is readable by its owner only.

let serve: ServeProcess;
const secret = `s3cr3t-${randomUUID()}`;
const k = (...args: string[]) => kubectlOk(serve.kubeconfig, args);

beforeAll(async () => {
  serve = await startServe(undefined, [], { logLevel: 'debug' });
});

afterAll(async () => {
  await serve?.stop();
});

async function filesUnder(dir: string): Promise<string[]> {
  const found = [dir];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else found.push(path);
  }
  return found;
}

describe('secrets and the data directory', () => {
  it("a Secret's value never reaches Kubelab's logs, and the data directory is 0600/0700", async () => {
    await k('create', 'secret', 'generic', 'creds', `--from-literal=password=${secret}`);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'uses-secret' },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'app',
            image: 'kubelab/busybox:test',
            command: ['sh', '-c', 'test -s /etc/creds/password && test -n "$PASSWORD" && sleep 3600'],
            env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }],
            volumeMounts: [{ name: 'creds', mountPath: '/etc/creds' }],
          },
        ],
        volumes: [{ name: 'creds', secret: { secretName: 'creds' } }],
      },
    };
    await kubectlOk(serve.kubeconfig, ['apply', '-f', '-'], JSON.stringify(pod));
    await k('wait', '--for=condition=Ready', 'pod/uses-secret', '--timeout=90s');

    // A refused write carrying the value: the error does not echo it either.
    const refused = await kubectl(serve.kubeconfig, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad' }, data: { password: `!${secret}` } }));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/data\[password\]/);
    expect(refused.stderr).not.toContain(secret);

    await k('delete', 'pod', 'uses-secret', '--wait=true', '--timeout=60s');
    await k('delete', 'secret', 'creds');

    const log = serve.output();
    expect(log).toMatch(/"level":"debug"/); // the most verbose level really was on
    for (const form of [secret, Buffer.from(secret).toString('base64')]) expect(log).not.toContain(form);

    const loose: string[] = [];
    for (const path of await filesUnder(serve.dataDir)) {
      const { mode } = await stat(path);
      if ((mode & 0o077) !== 0) loose.push(`${path} ${(mode & 0o777).toString(8)}`);
    }
    expect(loose).toEqual([]);
  });

  it("every serve's log is kept for the scan after the suite, and the scan finds a value in it, as it is or base64", async () => {
    const { pid } = serve.child;
    await serve.stop();
    const kept = join(SERVE_LOGS_DIR, `${basename(serve.dataDir)}-${pid}.log`);
    await expect.poll(() => existsSync(kept)).toBe(true);
    expect(await readFile(kept, 'utf8')).toContain('Kubelab is running');

    const dir = await mkdtemp(join(tmpdir(), 'kubelab-secret-scan-'));
    await writeFile(join(dir, 'a.log'), `{"msg":"env","value":"${Buffer.from('planted-value').toString('base64')}"}\n`);
    await writeFile(join(dir, 'b.log'), 'nothing here\n');
    const { files, leaks } = secretsInLogs(dir, ['planted-value']);
    expect(files).toBe(2);
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatch(/^a\.log: /);
  });
});
