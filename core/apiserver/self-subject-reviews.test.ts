import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../log/logger.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { startApiServer, type RunningApiServer } from './api-server.ts';

// kubectl auth can-i / whoami, over JSON here (test/kubectl-apply.test.ts drives real
// kubectl, which sends protobuf).

const TOKEN = 'self-subject-review-test-token-0123456789';
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let store: LowdbStore;
let server: RunningApiServer;

beforeAll(async () => {
  store = new LowdbStore({ file: join(await mkdtemp(join(tmpdir(), 'kubelab-reviews-test-')), 'kubelab-data.json') });
  await store.open();
  server = await startApiServer({ store, token: TOKEN, logger: silent });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
});

async function call(method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; json: () => any }> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: () => JSON.parse(text) };
}
const post = (path: string, body: unknown, token = TOKEN) => call('POST', path, body, token);
const ACCESS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const accessReview = (spec: unknown) => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec });

describe('self-subject reviews', () => {
  it('allow the token holder everything, and say why', async () => {
    const res = await post(ACCESS, accessReview({ resourceAttributes: { verb: 'delete', resource: 'nodes' } }));
    expect(res.status).toBe(201);
    expect(res.json()).toMatchObject({ kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'delete' } }, status: { allowed: true, reason: expect.stringContaining('one user') } });
    const rules = await post('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } });
    expect(rules.json().status.resourceRules).toEqual([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]);
  });

  it('tell who the token holder is', async () => {
    const res = await post('/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    expect(res.status).toBe(201);
    expect(res.json().status.userInfo).toEqual({ username: 'kubelab-admin', groups: ['system:masters', 'system:authenticated'] });
  });

  it('refuse a review without exactly one kind of attributes, the wrong kind, other verbs, and a missing token', async () => {
    const neither = await post(ACCESS, accessReview({}));
    expect(neither.status).toBe(400);
    expect(neither.json().message).toContain('exactly one of nonResourceAttributes or resourceAttributes must be specified');
    expect((await post(ACCESS, accessReview({ resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/', verb: 'get' } }))).status).toBe(400);
    const wrongKind = await post(ACCESS, { apiVersion: 'v1', kind: 'Pod' });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json().message).toContain('takes authorization.k8s.io/v1 SelfSubjectAccessReview');
    expect((await call('GET', ACCESS)).status).toBe(405);
    expect((await post(ACCESS, accessReview({ resourceAttributes: { verb: 'get' } }), 'wrong')).status).toBe(401);
  });

  it('are in discovery, so kubectl api-resources lists them', async () => {
    const groups = (await call('GET', '/apis')).json().groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(expect.arrayContaining(['authorization.k8s.io', 'authentication.k8s.io']));
    const list = (await call('GET', '/apis/authorization.k8s.io/v1')).json();
    expect(list.resources.map((r: { name: string; verbs: string[] }) => [r.name, r.verbs])).toEqual([
      ['selfsubjectaccessreviews', ['create']],
      ['selfsubjectrulesreviews', ['create']],
    ]);
  });
});
