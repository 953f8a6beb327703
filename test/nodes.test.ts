// Kubelab's nodes on real Docker: lab nodes (Docker-in-Docker containers made by
// lab-node.ts) with images copied from the host, and remote daemons reached over
// TCP with TLS and over SSH, each on 127.0.0.1 only. Needs the node image that
// test/setup/ensure-node-image.sh builds offline (the first build takes minutes).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../core/agent/docker-runtime.ts';
import { createDocker, dockerOptionsFor, EndpointError, parseDockerEndpoint } from '../core/nodes/docker-endpoint.ts';
import { withImageSideload } from '../core/nodes/image-sideload.ts';
import { createLabNode, deleteLabNode, demultiplex, labNodePaths, labNodeState, startLabNode, stopLabNode, type LabNode } from '../core/nodes/lab-node.ts';
import { ensureNodeImage, type NodeImage } from '../core/nodes/node-image.ts';
import { TEST_IMAGE, dockerAvailable } from './setup/docker-env.ts';
import { REPO_ROOT } from './support/kubelab-serve.ts';

const execFileAsync = promisify(execFile);
const host = new Dockerode();

async function run(command: string, args: string[], timeout = 60_000): Promise<string> {
  const { stdout } = await execFileAsync(command, args, { timeout, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until<T>(what: string, probe: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: ${(last as Error).message}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Marks this run's containers, to tell on which daemon they ran. */
const RUN_LABEL = { 'io.kubelab.test.nodes': String(process.pid) };

/** Runs a command to completion in a new container on `docker`; its output, and where the container was seen. */
async function runContainer(docker: Dockerode, image: string, cmd: string[]): Promise<{ output: string; onDocker: number; onHost: number }> {
  const container = await docker.createContainer({ Image: image, Cmd: cmd, Labels: RUN_LABEL });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const output = demultiplex((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    expect(StatusCode, output).toBe(0);
    const filters = { label: Object.entries(RUN_LABEL).map(([key, value]) => `${key}=${value}`) };
    const onDocker = (await docker.listContainers({ all: true, filters })).length;
    const onHost = (await host.listContainers({ all: true, filters })).length;
    return { output, onDocker, onHost };
  } finally {
    await container.remove({ force: true });
  }
}

beforeAll(async () => {
  if (!(await dockerAvailable())) throw new Error('docker info fails: run test/setup/ensure-docker.sh (test/run-tests.sh does)');
});

describe('lab nodes', () => {
  let dataDir: string;
  let image: NodeImage;
  const nodes: LabNode[] = [];
  const names = ['lab-a', 'lab-b'];

  beforeAll(async () => {
    await run('bash', [join(REPO_ROOT, 'test/setup/ensure-node-image.sh')], 900_000);
    // Short: the nodes' sockets live under it, and unix socket paths are limited.
    dataDir = await mkdtemp(join(tmpdir(), 'kl-'));
    image = await ensureNodeImage(host, { pullTimeoutMs: 20_000 });
    for (const name of names) await deleteLabNode(host, dataDir, name);
  }, 900_000);

  afterAll(async () => {
    for (const name of names) await deleteLabNode(host, dataDir, name).catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('creates two lab nodes whose inner daemons answer on their sockets', async () => {
    // This VM refuses --privileged; lab-node.ts must then fall back to capabilities.
    const privilegedWorks = await run('docker', ['run', '--rm', '--privileged', TEST_IMAGE, 'true']).then(
      () => true,
      () => false,
    );
    nodes.push(...(await Promise.all(names.map((name) => createLabNode(host, { name, dataDir, image })))));

    for (const node of nodes) {
      expect(node.privileged).toBe(privilegedWorks);
      expect(node.socketPath).toBe(join(dataDir, 'nodes', node.name, 'docker.sock'));
      const inner = new Dockerode({ socketPath: node.socketPath });
      const info = await inner.info();
      expect(info.Name).toBe(node.name);
      expect(info.Containers).toBe(0);
      const labels = (await host.getContainer(node.containerName).inspect()).Config.Labels;
      expect(labels['io.kubelab.lab-node']).toBe(node.name);
    }
  });

  it('runs a container from an image copied from the host inside each node', async () => {
    expect(nodes).toHaveLength(2);
    for (const node of nodes) {
      const inner = new Dockerode({ socketPath: node.socketPath });
      const runtime = withImageSideload(new DockerRuntime(inner), host, inner);
      expect(await runtime.imageId(TEST_IMAGE)).toBeUndefined();

      const progress: string[] = [];
      await runtime.pullImage(TEST_IMAGE, (line) => progress.push(line));

      expect(progress.join('\n')).toContain('copied');
      expect(await runtime.imageId(TEST_IMAGE)).toBeDefined();
      const ran = await runContainer(inner, TEST_IMAGE, ['sh', '-c', 'echo ran on $(cat /etc/hostname)']);
      expect(ran.output.trim()).toMatch(/^ran on [0-9a-f]{12}$/);
      // It ran on the node's daemon, not on the host's.
      expect([ran.onDocker, ran.onHost]).toEqual([1, 0]);
    }
  });

  it('stops and starts a lab node, keeping its images', async () => {
    const [node] = nodes;
    await stopLabNode(host, node.name);
    expect(await labNodeState(host, node.name)).toBe('stopped');
    await expect(new Dockerode({ socketPath: node.socketPath, timeout: 2_000 }).ping()).rejects.toThrow();

    await startLabNode(host, dataDir, node.name);
    expect(await labNodeState(host, node.name)).toBe('running');
    const inner = new Dockerode({ socketPath: node.socketPath });
    expect(await new DockerRuntime(inner).imageId(TEST_IMAGE)).toBeDefined();
  });

  it('deletes a lab node with its container, data volume and socket directory', async () => {
    expect(nodes).toHaveLength(2);
    for (const node of nodes) {
      await deleteLabNode(host, dataDir, node.name);
      expect(await labNodeState(host, node.name)).toBe('missing');
      await expect(host.getVolume(node.volumeName).inspect()).rejects.toMatchObject({ statusCode: 404 });
      expect(existsSync(labNodePaths(dataDir, node.name).socketDir)).toBe(false);
    }
  });
});

describe('tcp endpoint with TLS', () => {
  const bridge = `kltls${process.pid % 100_000}`;
  let dir: string;
  let port: number;
  let dockerd: ChildProcess | undefined;
  let dockerdLog = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kl-tls-'));
    const sh = (script: string) => run('sh', ['-c', script], 60_000);
    // A CA, a server certificate for 127.0.0.1 and a client certificate: docker's --tlsverify setup.
    await sh(`cd ${dir} &&
      openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=kubelab-test-ca 2>/dev/null &&
      openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null &&
      printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext &&
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile server.ext 2>/dev/null &&
      openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=client 2>/dev/null &&
      printf 'extendedKeyUsage=clientAuth\\n' > client.ext &&
      openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 1 -extfile client.ext 2>/dev/null`);
    port = await freePort();
    // A second daemon with its own state and its own empty bridge, without iptables,
    // on TCP only. Not --bridge=none: a dockerd started with it deletes the host's
    // docker0, cutting the first daemon's containers off.
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', '192.0.2.1/24', 'dev', bridge]);
    dockerd = spawn(
      'dockerd',
      [
        `--data-root=${dir}/root`,
        `--exec-root=${dir}/exec`,
        `--pidfile=${dir}/dockerd.pid`,
        `--bridge=${bridge}`,
        '--iptables=false',
        '--ip-masq=false',
        `--host=tcp://127.0.0.1:${port}`,
        '--tlsverify',
        `--tlscacert=${dir}/ca.crt`,
        `--tlscert=${dir}/server.crt`,
        `--tlskey=${dir}/server.key`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dockerd.stdout!.on('data', (chunk) => (dockerdLog += chunk));
    dockerd.stderr!.on('data', (chunk) => (dockerdLog += chunk));
  });

  afterAll(async () => {
    if (dockerd?.pid && dockerd.exitCode === null) {
      const exited = new Promise((resolve) => dockerd!.once('exit', resolve));
      dockerd.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (dockerd.exitCode === null) dockerd.kill('SIGKILL');
    }
    await run('ip', ['link', 'delete', bridge]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const tlsFiles = async () => {
    const { readFile } = await import('node:fs/promises');
    return { ca: await readFile(join(dir, 'ca.crt')), cert: await readFile(join(dir, 'client.crt')), key: await readFile(join(dir, 'client.key')) };
  };

  it('pings a daemon over TCP with TLS client certificates', async () => {
    const endpoint = parseDockerEndpoint(`tcp://127.0.0.1:${port}`);
    const docker = createDocker(endpoint, { tls: await tlsFiles(), timeoutMs: 5_000 });
    await until(`dockerd on ${port} did not answer; its log:\n${dockerdLog}`, () => docker.ping());
    const info = await docker.info();
    expect(info.DockerRootDir).toBe(join(dir, 'root'));
  });

  it('refuses plain tcp without --insecure, and the daemon refuses clients without a certificate', async () => {
    const endpoint = parseDockerEndpoint(`tcp://127.0.0.1:${port}`);
    expect(() => dockerOptionsFor(endpoint)).toThrow(EndpointError);
    expect(() => createDocker(endpoint)).toThrow('plain tcp needs TLS files (--tls-ca --tls-cert --tls-key) or --insecure');
    const { ca } = await tlsFiles();
    // TLS with the right CA but no client certificate: --tlsverify turns it away.
    const noClientCert = new Dockerode({ host: '127.0.0.1', port, protocol: 'https', ca, timeout: 5_000 });
    await expect(noClientCert.ping()).rejects.toThrow();
    // And plain HTTP (what --insecure would do) gets no Docker API from a TLS port.
    await expect(createDocker(endpoint, { insecure: true, timeoutMs: 5_000 }).ping()).rejects.toThrow();
  });
});

describe('ssh endpoint', () => {
  const sshd = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((path) => existsSync(path));
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let serverLog = '';

  beforeAll(async () => {
    if (!sshd) {
      console.log('ssh endpoint test skipped: no sshd here (apt-get install openssh-server enables it)');
      return;
    }
    dir = await mkdtemp(join(tmpdir(), 'kl-ssh-'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
    await run('cp', [join(dir, 'client_key.pub'), join(dir, 'authorized_keys')]);
    port = await freePort();
    await writeFile(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'StrictModes no',
        'UsePAM no',
        '',
      ].join('\n'),
    );
    // sshd's privilege separation needs this directory.
    await run('mkdir', ['-p', '/run/sshd']);
    server = spawn(sshd, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (chunk) => (serverLog += chunk));
    server.stderr!.on('data', (chunk) => (serverLog += chunk));
  });

  afterAll(async () => {
    if (server?.pid && server.exitCode === null) server.kill('SIGTERM');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pings the daemon through ssh and `docker system dial-stdio`', async (context) => {
    if (!sshd) context.skip();
    const { readFile } = await import('node:fs/promises');
    const endpoint = parseDockerEndpoint(`ssh://root@127.0.0.1:${port}`);
    const docker = createDocker(endpoint, { sshPrivateKey: await readFile(join(dir, 'client_key')), timeoutMs: 10_000 });
    await until(`ssh ping failed; sshd log:\n${serverLog}`, () => docker.ping(), 30_000);
    const version = await docker.version();
    expect(version.ApiVersion).toMatch(/^\d+\.\d+$/);
  });
});
