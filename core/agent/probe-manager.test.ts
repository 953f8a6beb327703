import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRuntime } from './fake-runtime.ts';
import { ProbeManager, type ProbeListener, type ProbeTarget } from './probe-manager.ts';

// Where probes connect from: the agent itself for a local daemon, inside the container otherwise.

let server: http.Server;
let port: number;
const seenHeaders: http.IncomingHttpHeaders[] = [];
beforeAll(async () => {
  server = http.createServer((req, res) => {
    seenHeaders.push(req.headers);
    res.writeHead(req.url === '/healthz' ? 200 : req.url === '/moved' ? 302 : 503);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const listener: ProbeListener = { onResultChange() {}, onProbeFailure() {}, onContainerUnhealthy() {} };
const target = (containerId: string): ProbeTarget => ({
  podKey: 'ns/p',
  podUid: 'u',
  containerId,
  podIp: '127.0.0.1',
  container: { name: 'main', image: 'i', ports: [{ name: 'http', containerPort: port }] },
});

describe('ProbeManager.run', () => {
  it('on a local daemon, GETs the pod IP directly with the probe headers; 2xx/3xx succeed', async () => {
    const probes = new ProbeManager(new FakeRuntime(), 'local', listener);
    expect(await probes.run(target('x'), { httpGet: { port: 'http', path: '/healthz', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } })).toEqual({ success: true, message: '' });
    expect(seenHeaders.at(-1)?.['x-probe']).toBe('yes');
    expect((await probes.run(target('x'), { httpGet: { port, path: '/moved' } })).success).toBe(true);
    expect(await probes.run(target('x'), { httpGet: { port, path: '/broken' } })).toEqual({ success: false, message: 'HTTP probe failed with statuscode: 503' });
    expect((await probes.run(target('x'), { tcpSocket: { port } })).success).toBe(true);
  });

  it('on a remote or lab daemon, runs wget/nc inside the container and explains a missing tool', async () => {
    const runtime = new FakeRuntime(['img']);
    const id = await runtime.createContainer({ name: 'c', labels: { 'io.kubelab.container.name': 'main' }, image: 'img', env: {}, mounts: [], sandboxId: 's' });
    await runtime.startContainer(id);
    const probes = new ProbeManager(runtime, 'lab', listener);
    expect((await probes.run(target(id), { httpGet: { port: 8080, path: '/ready' } })).success).toBe(true);
    expect(runtime.execCalls.at(-1)?.command).toEqual(['sh', '-c', "timeout 1 wget -q -O /dev/null  'http://127.0.0.1:8080/ready'"]);
    runtime.setExecResult('main', 'nc -z', { exitCode: 127, output: 'sh: nc: not found' });
    const outcome = await probes.run(target(id), { tcpSocket: { port: 5432 } });
    expect(outcome.success).toBe(false);
    expect(outcome.message).toContain('which the image lacks');
  });
});
