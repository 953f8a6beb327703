import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { apiRequest, tokenOf } from './support/api-request.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';

// `kubelab serve` serves the built GUI at its HTTP address: the page and its assets
// without the token (they hold no secret) under a strict Content Security Policy, while
// the API keeps requiring it; the token reaches the page only in the URL fragment and
// never appears in the server's log.

let serve: ServeProcess;

beforeAll(async () => {
  serve = await startServe(undefined, ['--no-local-node']);
}, 120_000);

afterAll(async () => {
  await serve?.stop();
});

describe('the GUI from kubelab serve', () => {
  it('prints a GUI address carrying the token in the fragment only', () => {
    const token = tokenOf(serve.dataDir);
    expect(serve.guiUrl).toBe(`${serve.httpUrl}/#token=${encodeURIComponent(token)}`);
  });

  it('serves the page and its assets without the token, with a CSP', async () => {
    const page = await fetch(`${serve.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    const script = /src="\.?\/?(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script, 'the page loads a script bundle').toBeTruthy();
    const asset = await fetch(`${serve.httpUrl}/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
  });

  it('keeps the API behind the token and refuses paths outside the build', async () => {
    expect((await apiRequest(serve.httpUrl, 'GET', '/api/v1/namespaces')).status).toBe(401);
    expect((await fetch(`${serve.httpUrl}/assets/../../package.json`)).status).not.toBe(200);
    expect((await fetch(`${serve.httpUrl}/assets/%2e%2e%2f%2e%2e%2fpackage.json`)).status).not.toBe(200);
  });

  it('refuses the page to a foreign Host (DNS rebinding)', async () => {
    const answer = await apiRequest(serve.httpUrl, 'GET', '/', { headers: { host: 'evil.example:80' } });
    expect(answer.status).toBe(403);
  });

  it('streams watch events over a WebSocket with the token in the bearer subprotocol, as browsers need', async () => {
    const token = tokenOf(serve.dataDir);
    const wsUrl = `${serve.httpUrl.replace('http', 'ws')}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0`;
    const refused = new WebSocket(wsUrl, { origin: serve.httpUrl });
    const refusal = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(refusal).toBe(401);

    const protocol = `base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString('base64url')}`;
    const socket = new WebSocket(wsUrl, [protocol, 'watch.kubelab.io'], { origin: serve.httpUrl });
    const events: { type: string; object: { metadata: { name: string } } }[] = [];
    socket.on('message', (data) => events.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => socket.on('open', resolve).on('error', reject));
    expect(socket.protocol, 'the token is never echoed back').toBe('watch.kubelab.io');
    const created = await apiRequest(serve.httpUrl, 'POST', '/api/v1/namespaces/default/configmaps', { token, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' } } });
    expect(created.status).toBe(201);
    await expect.poll(() => events.find((e) => e.object.metadata.name === 'watched')?.type).toBe('ADDED');
    socket.close();
  });

  it('refuses a WebSocket watch from a foreign origin', async () => {
    const protocol = `base64url.bearer.authorization.k8s.io.${Buffer.from(tokenOf(serve.dataDir)).toString('base64url')}`;
    const socket = new WebSocket(`${serve.httpUrl.replace('http', 'ws')}/api/v1/configmaps?watch=true`, [protocol], { origin: 'http://evil.example' });
    const status = await new Promise<number>((resolve) => socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(403);
  });

  it('never writes the token to its log', async () => {
    const token = tokenOf(serve.dataDir);
    await fetch(`${serve.httpUrl}/`);
    await apiRequest(serve.httpUrl, 'GET', '/api/v1/namespaces', { token });
    await apiRequest(serve.httpUrl, 'GET', '/api/v1/nope', { token });
    const logLines = serve.output().split('\n').filter((line) => !line.includes('GUI:'));
    expect(logLines.join('\n')).not.toContain(token);
  });
});
