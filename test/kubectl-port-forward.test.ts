import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from './support/kubectl.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { webServerManifest } from './support/web-server-manifest.ts';
import { eventually } from './support/eventually.ts';

// `kubectl port-forward` end to end: kubectl 1.32 (SPDY tunneled in a WebSocket, or SPDY
// after the fallback) -> API server -> kubelet server -> the pod's port on the local daemon.

let serve: ServeProcess;
let kc: string;
let node: string;
const forwards: ChildProcess[] = [];
const k = (...args: string[]) => kubectlOk(kc, args);

beforeAll(async () => {
  serve = await startServe(undefined, ['--timings', 'lab']);
  kc = serve.kubeconfig;
  node = await eventually(async () => {
    const names = (await k('get', 'nodes', '-l', 'kubelab.io/endpoint-kind=local', '-o', 'name')).trim();
    return names ? names.replace('node/', '') : '';
  }, 'the local node to register', 60_000);
  await k('wait', '--for=condition=Ready', `node/${node}`, '--timeout=60s');
  await kubectlOk(kc, ['apply', '-f', '-'], webServerManifest({ name: 'web', page: 'forwarded-page', nodeName: node }));
  await k('wait', '--for=condition=Ready', 'pod/web', '--timeout=90s');
}, 240_000);

afterAll(async () => {
  for (const child of forwards) child.kill('SIGTERM');
  await kubectl(kc, ['delete', 'pod', 'web', '--grace-period=1', '--wait=true', '--timeout=60s']);
  await serve?.stop();
}, 120_000);

/** Runs `kubectl port-forward` and waits until it says it listens. */
async function portForward(...args: string[]): Promise<{ output: () => string }> {
  return portForwardWith({}, ...args);
}

async function portForwardWith(env: Record<string, string>, ...args: string[]): Promise<{ output: () => string }> {
  const child = spawn('kubectl', ['--kubeconfig', kc, 'port-forward', '--address', '127.0.0.1', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  forwards.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await eventually(() => output.includes('Forwarding from'), `kubectl port-forward ${args.join(' ')} to listen (${output})`, 30_000);
  return { output: () => output };
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { headers: { connection: 'close' } });
  return res.text();
}

describe('kubectl port-forward', () => {
  it('forwards a local port to a pod port', async () => {
    const forward = await portForward('pod/web', '18080:8080');
    const page = await eventually(() => fetchText('http://127.0.0.1:18080/'), 'the page through the forward');
    expect(page.trim()).toBe('forwarded-page');
    // Several connections over the one session.
    for (let i = 0; i < 3; i++) expect((await fetchText('http://127.0.0.1:18080/')).trim()).toBe('forwarded-page');
    expect(forward.output()).not.toMatch(/error/i);
  });

  it('forwards to a Service port (kubectl picks a pod and its target port)', async () => {
    const svc = JSON.parse(await k('get', 'svc', 'web', '-o', 'json'));
    expect(svc.spec.clusterIP).toMatch(/^10\.96\./);
    await portForward('svc/web', '18081:80');
    const page = await eventually(() => fetchText('http://127.0.0.1:18081/'), 'the page through the Service forward');
    expect(page.trim()).toBe('forwarded-page');
  });

  it('works over plain SPDY too (kubectl with WebSocket tunneling turned off)', async () => {
    await portForwardWith({ KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, 'pod/web', '18083:8080');
    const page = await eventually(() => fetchText('http://127.0.0.1:18083/'), 'the page through the SPDY forward');
    expect(page.trim()).toBe('forwarded-page');
  });

  it('lists Services with their ClusterIP and node ports', async () => {
    await kubectlOk(kc, ['create', 'service', 'nodeport', 'web-np', '--tcp=80:8080', '--node-port=30080']);
    const row = (await k('get', 'svc', 'web-np', '--no-headers')).trim().split(/\s+/);
    expect(row[1]).toBe('NodePort');
    expect(row[2]).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(row[4]).toBe('80:30080/TCP');
  });

  it('reports a pod port nobody listens on on the error stream', async () => {
    const forward = await portForward('pod/web', '18082:9999');
    await fetch('http://127.0.0.1:18082/').catch(() => undefined);
    await eventually(() => /error forwarding port 9999 to pod web/.test(forward.output()), 'kubectl to print the forwarding error', 20_000);
  });
});
