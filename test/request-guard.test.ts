import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, tokenOf } from './support/api-request.ts';
import { kubectl } from './support/kubectl.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';

// Acceptance 6 of the foundation: the API answers only to its token holder, and only
// through this machine's own names (no DNS rebinding, no cross-site writes).

let serve: ServeProcess;
let token: string;

beforeAll(async () => {
  serve = await startServe();
  token = tokenOf(serve.dataDir);
});
afterAll(async () => {
  await serve?.stop();
});

describe('request guard', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(new URL(serve.url).hostname).toBe('127.0.0.1');
  });

  it('refuses requests without a token, or with a wrong one, with 401', async () => {
    const none = await apiRequest(serve.httpUrl, 'GET', '/api/v1/namespaces');
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const wrong = await apiRequest(serve.httpUrl, 'GET', '/api/v1/namespaces', { token: 'x'.repeat(43) });
    expect(wrong.status).toBe(401);
    const write = await apiRequest(serve.httpUrl, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'sneaky' } } });
    expect(write.status).toBe(401);
    const ok = await apiRequest(serve.httpUrl, 'GET', '/api/v1/namespaces/sneaky', { token });
    expect(ok.status).toBe(404);
  });

  it('kubectl with a wrong token is told it is unauthorized', async () => {
    const result = await kubectl(serve.kubeconfig, ['get', 'ns', '--token', 'not-the-token']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Unauthorized|must be logged in/);
  });

  it('refuses a foreign Host (DNS rebinding) even with the token', async () => {
    const res = await apiRequest(serve.httpUrl, 'GET', '/api/v1/namespaces', { token, headers: { Host: `evil.example:${new URL(serve.httpUrl).port}` } });
    expect(res.status).toBe(403);
    expect(res.json().message).toContain('evil.example');
  });

  it('refuses a foreign Origin (cross-site write) even with the token', async () => {
    const res = await apiRequest(serve.httpUrl, 'POST', '/api/v1/namespaces', {
      token,
      headers: { Origin: 'http://evil.example' },
      body: { metadata: { name: 'from-evil' } },
    });
    expect(res.status).toBe(403);
    const check = await apiRequest(serve.httpUrl, 'GET', '/api/v1/namespaces/from-evil', { token });
    expect(check.status).toBe(404);
  });

  it('accepts its own origin and localhost', async () => {
    const port = new URL(serve.httpUrl).port;
    const res = await apiRequest(serve.httpUrl, 'GET', '/api/v1/namespaces', { token, headers: { Origin: `http://localhost:${port}`, Host: `localhost:${port}` } });
    expect(res.status).toBe(200);
  });

  it('keeps health endpoints open for probes', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      expect((await apiRequest(serve.httpUrl, 'GET', path)).status).toBe(200);
    }
  });
});
