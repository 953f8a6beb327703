// DockerRuntime against the machine's real Docker daemon: a pod's sandbox and
// containers sharing namespaces, files into volumes, logs, exec, stop/kill
// semantics, OOM, image errors, events and stats, and the offline sandbox image.
// Everything created carries a per-run label and is removed in afterAll.
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, RuntimeError, type ContainerSpec, type RuntimeEvent } from '../core/agent/container-runtime.ts';
import { DockerRuntime } from '../core/agent/docker-runtime.ts';
import { buildSandboxImage, sandboxImageRef } from '../core/agent/sandbox-image.ts';
import { TEST_IMAGE, dockerAvailable } from './setup/docker-env.ts';
import { docker as dockerCli } from './support/docker-cli.ts';
import { eventually } from './support/eventually.ts';

const RUN_LABEL = 'io.kubelab.test-run';
const run = `rt-${randomBytes(4).toString('hex')}`;
const labels = { [RUN_LABEL]: run, [LABELS.managed]: 'true' };
const docker = new Dockerode();

/** What a container wrote to stdout, one entry per line. */
async function logLines(id: string): Promise<string[]> {
  return (await dockerCli(['logs', id])).split('\n').filter(Boolean);
}
const runtime = new DockerRuntime(docker);

function appSpec(sandboxId: string, name: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: `${run}-${name}`,
    labels: { ...labels, [LABELS.containerName]: name },
    image: TEST_IMAGE,
    env: {},
    mounts: [],
    sandboxId,
    ...overrides,
  };
}

/** Reads `stream` until `done(text)` holds or it ends; fails after `ms` rather than hang. */
async function readUntil(stream: NodeJS.ReadableStream, done: (text: string) => boolean, ms = 30_000): Promise<string> {
  let text = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stream did not deliver the expected text; got: ${JSON.stringify(text)}`)), ms);
    const finish = () => {
      clearTimeout(timer);
      resolve(text);
    };
    stream.on('data', (chunk: Buffer | string) => {
      text += chunk.toString();
      if (done(text)) finish();
    });
    stream.on('end', finish);
    stream.on('error', reject);
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return readUntil(stream, () => false);
}

/** Bounds a call that must not hang the suite. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)),
  ]);
}

async function untilExited(id: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if ((await runtime.inspectContainer(id)).state === 'exited') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`container ${id} did not exit`);
}

describe('DockerRuntime on the local daemon', () => {
  let sandboxId: string;
  const volume = `${run}-config`;
  const testImageRefs: string[] = [];

  beforeAll(async () => {
    if (!(await dockerAvailable())) throw new Error('docker info fails: run test/setup/ensure-docker.sh (test/run-tests.sh does)');
    await runtime.createVolume(volume, labels);
    sandboxId = await runtime.createSandbox({
      name: `${run}-sandbox`,
      labels: { ...labels, [LABELS.role]: 'sandbox' },
      hostname: 'rt-pod',
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
      mounts: [{ type: 'volume', source: volume, target: '/kubelab/volumes/config', readOnly: false }],
    });
    await runtime.startContainer(sandboxId);
  });

  afterAll(async () => {
    const leftovers = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${run}`] } });
    await Promise.all(leftovers.map((container) => docker.getContainer(container.Id).remove({ force: true, v: true })));
    const volumes = await docker.listVolumes({ filters: { label: [`${RUN_LABEL}=${run}`] } });
    await Promise.all((volumes.Volumes ?? []).map((found) => docker.getVolume(found.Name).remove()));
    for (const ref of testImageRefs) await docker.getImage(ref).remove({ force: true }).catch(() => undefined);
  });

  it('describes the daemon in Kubernetes terms', async () => {
    const info = await runtime.info();

    expect(info.os).toBe('linux');
    expect(['amd64', 'arm64']).toContain(info.arch);
    expect(info.cpus).toBeGreaterThan(0);
    expect(info.memoryBytes).toBeGreaterThan(0);
    expect(info.engineVersion).toMatch(/^\d+\.\d+/);
    expect(info.hostIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('builds the sandbox image offline; its container exits 0 on SIGTERM', async () => {
    const { arch } = await runtime.info();
    const ref = `kubelab/pause-test:${run}`;
    testImageRefs.push(ref);
    await buildSandboxImage(docker, arch as 'amd64' | 'arm64', ref);
    const image = await docker.getImage(ref).inspect();
    expect(image.Config.Entrypoint).toEqual(['/pause']);

    const container = await docker.createContainer({ Image: ref, Labels: labels });
    await container.start();
    await runtime.stopContainer(container.id, 30);
    const status = await runtime.inspectContainer(container.id);

    // 0 = it handled SIGTERM itself; a SIGKILL after the timeout would read 137.
    expect(status.state).toBe('exited');
    expect(status.exitCode).toBe(0);
    expect(await runtime.ensureSandboxImage()).toBe(sandboxImageRef(arch as 'amd64' | 'arm64'));
  });

  it('runs a sandbox with the pause image and reports its pod IP', async () => {
    const status = await runtime.inspectContainer(sandboxId);

    expect(status.state).toBe('running');
    expect(status.image).toBe(await runtime.ensureSandboxImage());
    expect(status.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(status.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(status.finishedAt).toBeUndefined();
  });

  it('shares the network namespace and hostname between the containers of a pod', async () => {
    const server = await runtime.createContainer(
      appSpec(sandboxId, 'server', {
        entrypoint: ['sh', '-c'],
        cmd: ['mkdir -p /www && echo "$GREETING" > /www/greeting.txt && exec httpd -f -p 8080 -h /www'],
        env: { GREETING: 'hello from the pod' },
      }),
    );
    const client = await runtime.createContainer(appSpec(sandboxId, 'client', { cmd: ['sleep', '1000'] }));
    await runtime.startContainer(server);
    await runtime.startContainer(client);

    const fetch = await runtime.execSimple(
      client,
      ['sh', '-c', 'for i in $(seq 1 100); do timeout 5 wget -q -O - http://127.0.0.1:8080/greeting.txt && exit 0; sleep 0.2; done; exit 1'],
      60_000,
    );
    const hostname = await runtime.execSimple(client, ['hostname'], 10_000);

    expect(fetch).toEqual({ exitCode: 0, output: 'hello from the pod\n', timedOut: false });
    expect(hostname.output.trim()).toBe('rt-pod');
    expect((await runtime.execSimple(server, ['hostname'], 10_000)).output.trim()).toBe('rt-pod');
  });

  it('writes files into a volume through the sandbox, read by an app container', async () => {
    await runtime.putFiles(sandboxId, '/kubelab/volumes/config/app', [
      { path: 'settings.conf', content: Buffer.from('mode=lab\n'), mode: 0o644 },
      { path: 'keys/secret.key', content: Buffer.from('s3cr3t'), mode: 0o600 },
    ]);
    const reader = await runtime.createContainer(
      appSpec(sandboxId, 'reader', {
        cmd: ['sleep', '1000'],
        mounts: [{ type: 'volume', source: volume, target: '/etc/app', readOnly: true }],
      }),
    );
    await runtime.startContainer(reader);

    const read = await runtime.execSimple(
      reader,
      ['sh', '-c', 'cat /etc/app/app/settings.conf /etc/app/app/keys/secret.key; echo; stat -c %a /etc/app/app/keys/secret.key'],
      10_000,
    );

    expect(read.output).toBe('mode=lab\ns3cr3t\n600\n');
    expect(read.exitCode).toBe(0);
  });

  it('lists the pod containers by label, including stopped ones', async () => {
    const created = await runtime.createContainer(appSpec(sandboxId, 'never-started', { cmd: ['true'] }));
    const statuses = await runtime.listContainers({ [RUN_LABEL]: run, [LABELS.containerName]: 'never-started' });

    expect(statuses.map((status) => [status.id, status.state, status.name])).toEqual([[created, 'created', `${run}-never-started`]]);
    expect(statuses[0].imageId).toBe(await runtime.imageId(TEST_IMAGE));
    expect(statuses[0].imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(statuses[0].startedAt).toBeUndefined();
  });

  it('serves logs with tail, timestamps, a byte limit and follow', async () => {
    const id = await runtime.createContainer(
      appSpec(sandboxId, 'logger', {
        // Docker copies stdout and stderr separately, so their relative order is only certain across a pause.
        cmd: ['sh', '-c', 'echo one; echo two; echo three; while [ ! -f /tmp/go ]; do sleep 0.1; done; echo later >&2; sleep 1000'],
      }),
    );
    await runtime.startContainer(id);
    await readUntil(await runtime.logs(id, { follow: true }), (text) => text.includes('three'));

    const all = await readAll(await runtime.logs(id, {}));
    const tail = await readAll(await runtime.logs(id, { tailLines: 2 }));
    const stamped = await readAll(await runtime.logs(id, { timestamps: true, tailLines: 1 }));
    const limited = await readAll(await runtime.logs(id, { limitBytes: 6 }));
    const followed = await runtime.logs(id, { follow: true, tailLines: 0 });
    const later = readUntil(followed, (text) => text.includes('later'));
    await runtime.execSimple(id, ['touch', '/tmp/go'], 10_000);

    expect(all).toBe('one\ntwo\nthree\n');
    expect(tail).toBe('two\nthree\n');
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z three\n$/);
    expect(limited).toBe('one\ntw');
    expect(await later).toBe('later\n');
    (followed as NodeJS.ReadableStream & { destroy(): void }).destroy();
  });

  it('runs an interactive exec with stdin, separate stderr and the exit code', async () => {
    const id = await runtime.createContainer(appSpec(sandboxId, 'shell', { cmd: ['sleep', '1000'] }));
    await runtime.startContainer(id);

    const echo = await runtime.exec(id, ['cat'], { stdin: true, tty: false });
    const echoed = readAll(echo.stdout);
    echo.stdin!.write('ping through cat\n');
    echo.stdin!.end();
    expect(await within(echoed, 30_000, 'cat')).toBe('ping through cat\n');
    expect(await within(echo.exitCode, 30_000, 'cat exit code')).toBe(0);

    const failing = await runtime.exec(id, ['sh', '-c', 'echo out; echo err >&2; exit 3'], { stdin: false, tty: false });
    const [out, err] = await Promise.all([readAll(failing.stdout), readAll(failing.stderr!)]);
    expect([out, err]).toEqual(['out\n', 'err\n']);
    expect(await failing.exitCode).toBe(3);

    const tty = await runtime.exec(id, ['sh', '-c', 'read go; stty size; exit 5'], { stdin: true, tty: true });
    expect(tty.stderr).toBeUndefined();
    const screen = readAll(tty.stdout);
    await tty.resize(120, 40);
    tty.stdin!.write('go\n');
    expect(await within(screen, 30_000, 'the tty exec')).toContain('40 120');
    expect(await tty.exitCode).toBe(5);
  });

  it('reports exec exit codes and gives up on an exec that outlives its timeout', async () => {
    const id = await runtime.createContainer(appSpec(sandboxId, 'prober', { cmd: ['sleep', '1000'] }));
    await runtime.startContainer(id);

    expect(await runtime.execSimple(id, ['sh', '-c', 'echo probing; exit 7'], 10_000)).toEqual({
      exitCode: 7,
      output: 'probing\n',
      timedOut: false,
    });
    expect(await within(runtime.execSimple(id, ['sh', '-c', 'echo started; sleep 60'], 500), 20_000, 'execSimple')).toMatchObject({
      exitCode: -1,
      timedOut: true,
    });
  });

  it('stops a process that ignores SIGTERM by killing it after the timeout', async () => {
    const id = await runtime.createContainer(
      appSpec(sandboxId, 'stubborn', { entrypoint: ['sh', '-c', 'trap "echo got-TERM" TERM; while true; do sleep 1; echo alive; done'] }),
    );
    await runtime.startContainer(id);
    await eventually(async () => (await logLines(id)).includes('alive'), 'the container to start its loop');

    await runtime.stopContainer(id, 2);
    const status = await runtime.inspectContainer(id);

    // It was given its grace period: TERM first, and it was still running after it (its
    // own log says so), then killed; not killed outright.
    const lines = await logLines(id);
    expect(lines).toContain('got-TERM');
    expect(lines.slice(lines.indexOf('got-TERM') + 1)).toContain('alive');
    expect(status.state).toBe('exited');
    expect(status.exitCode).toBe(137);
    expect(status.oomKilled).toBe(false);
    expect(status.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('reports an OOM kill under a memory limit', async () => {
    const id = await runtime.createContainer(
      appSpec(sandboxId, 'hungry', {
        // A 50 MB string held by the shell: anonymous memory, far over the limit.
        cmd: ['sh', '-c', 'x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo survived'],
        memoryBytes: 8 * 1024 * 1024,
      }),
    );
    await runtime.startContainer(id);
    await untilExited(id);
    const status = await runtime.inspectContainer(id);

    expect(status.oomKilled).toBe(true);
    expect(status.exitCode).toBe(137);
  });

  it('reports a failing pull with the daemon message, and absent images as undefined', async () => {
    const pull = runtime.pullImage('kubelab/does-not-exist:1');
    const failure = await within(
      pull.then(
        () => undefined,
        (error: unknown) => error,
      ),
      90_000,
      'the pull',
    );

    expect(failure).toBeInstanceOf(RuntimeError);
    expect((failure as RuntimeError).kind).toBe('image-pull');
    expect((failure as RuntimeError).message).toMatch(/does-not-exist|registry|dial|lookup|denied|not found/i);
    expect(await runtime.imageId('kubelab/does-not-exist:1')).toBeUndefined();
    expect(await runtime.imageId('kubelab/busybox')).toBeUndefined(); // means :latest, which is absent
    expect(await runtime.imageId(TEST_IMAGE)).toMatch(/^sha256:/);
  });

  it('classifies daemon errors: not found, conflict, missing image, unreachable daemon', async () => {
    const notFound = await runtime.inspectContainer(`${run}-missing`).catch((error: unknown) => error);
    const spec = appSpec(sandboxId, 'twin', { cmd: ['true'] });
    await runtime.createContainer(spec);
    const conflict = await runtime.createContainer(spec).catch((error: unknown) => error);
    const noImage = await runtime
      .createContainer(appSpec(sandboxId, 'imageless', { image: 'kubelab/does-not-exist:1' }))
      .catch((error: unknown) => error);
    const unreachable = await new DockerRuntime(new Dockerode({ socketPath: `/tmp/${run}-no-daemon.sock` }))
      .ping()
      .catch((error: unknown) => error);

    expect(notFound).toMatchObject({ name: 'RuntimeError', kind: 'not-found' });
    expect((notFound as Error).message).toMatch(/no such container/i);
    expect(conflict).toMatchObject({ kind: 'conflict' });
    expect(noImage).toMatchObject({ kind: 'image-not-present' });
    expect(unreachable).toMatchObject({ kind: 'unavailable' });
    await expect(runtime.removeContainer(`${run}-missing`)).resolves.toBeUndefined();
  });

  it('reports a die event for a container that exits, until aborted', async () => {
    const id = await runtime.createContainer(
      appSpec(sandboxId, 'short-lived', { cmd: ['sh', '-c', 'while [ ! -f /tmp/exit ]; do sleep 0.1; done; exit 3'] }),
    );
    await runtime.startContainer(id);
    const abort = new AbortController();
    const seen: RuntimeEvent[] = [];
    const listening = runtime.events((event) => {
      if (event.containerId === id) seen.push(event);
    }, abort.signal);
    const until = async (what: string, predicate: () => boolean, poke?: () => Promise<unknown>) => {
      for (let attempt = 0; attempt < 300 && !predicate(); attempt++) {
        await poke?.();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (!predicate()) throw new Error(`no ${what} event; saw ${JSON.stringify(seen)}`);
    };
    // The subscription is live once an exec shows up in it; only then make the container exit.
    await until('exec', () => seen.some((event) => event.action.startsWith('exec_')), () => runtime.execSimple(id, ['true'], 10_000));
    await runtime.execSimple(id, ['touch', '/tmp/exit'], 10_000);
    await until('die', () => seen.some((event) => event.action === 'die'));
    abort.abort();
    await within(listening, 10_000, 'events() after abort');

    expect(seen.find((event) => event.action === 'die')!.labels).toMatchObject({
      [LABELS.containerName]: 'short-lived',
      [RUN_LABEL]: run,
    });
  });

  it('samples CPU and memory of a running container', async () => {
    const id = await runtime.createContainer(
      appSpec(sandboxId, 'busy', { cmd: ['sh', '-c', 'x=$(head -c 2000000 /dev/zero | tr "\\0" a); while true; do :; done'] }),
    );
    await runtime.startContainer(id);

    const stats = await runtime.stats(id);

    expect(stats.cpuNanoCores).toBeGreaterThan(0);
    expect(stats.memoryWorkingSetBytes).toBeGreaterThan(0);
  });

  it('manages labelled volumes idempotently, including tmpfs ones', async () => {
    const memory = `${run}-memory`;
    await runtime.createVolume(memory, labels, { tmpfsSizeBytes: 1024 * 1024 });
    await runtime.createVolume(memory, labels, { tmpfsSizeBytes: 1024 * 1024 });
    const inspected = await docker.getVolume(memory).inspect();

    expect(inspected.Options).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=1048576' });
    expect((await runtime.listVolumes({ [RUN_LABEL]: run })).sort()).toEqual([volume, memory].sort());
    await runtime.removeVolume(memory);
    await runtime.removeVolume(memory);
    expect(await runtime.listVolumes({ [RUN_LABEL]: run })).toEqual([volume]);
  });
});
