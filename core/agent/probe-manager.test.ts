import http from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRuntime } from './fake-runtime.ts';
import { ProbeManager, type ProbeListener, type ProbeTarget } from './probe-manager.ts';

// Where probes connect from: the agent itself for a local daemon; through the pod dialer
// (the node's proxy) for other nodes when there is one, else inside the container.

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

  it('on a lab daemon with a pod dialer, connects through it instead of running tools in the container', async () => {
    const runtime = new FakeRuntime(['img']);
    const dialed: string[] = [];
    // Stands in for the service proxy: the "pod" is this test's server on loopback.
    const dialPod = (podIp: string, podPort: number) => {
      dialed.push(`${podIp}:${podPort}`);
      return new Promise<Duplex>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: podPort }, () => resolve(socket));
        socket.once('error', reject);
      });
    };
    const probes = new ProbeManager(runtime, 'lab', listener, undefined, dialPod);
    const remote = { ...target('y'), podIp: '10.100.1.5' };
    expect(await probes.run(remote, { httpGet: { port: 'http', path: '/healthz' } })).toEqual({ success: true, message: '' });
    expect(await probes.run(remote, { httpGet: { port, path: '/broken' } })).toEqual({ success: false, message: 'HTTP probe failed with statuscode: 503' });
    expect(await probes.run(remote, { tcpSocket: { port } })).toEqual({ success: true, message: '' });
    const closed = await probes.run(remote, { tcpSocket: { port: 1 } });
    expect(closed.success).toBe(false);
    expect(closed.message).toContain('dial tcp 10.100.1.5:1');
    expect(dialed).toEqual([`10.100.1.5:${port}`, `10.100.1.5:${port}`, `10.100.1.5:${port}`, '10.100.1.5:1']);
    expect(runtime.execCalls).toEqual([]);
  });
});
