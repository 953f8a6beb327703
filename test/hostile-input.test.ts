import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest, tokenOf, type RawResponse } from './support/api-request.ts';
import { eventually } from './support/eventually.ts';
import { FIXTURE_CONFIGMAP, FIXTURE_DEPLOYMENT, HOSTILE_FAMILIES, type HostileRequest } from './support/hostile-requests.ts';
import { startServe, type ServeProcess } from './support/kubelab-serve.ts';
import { deploymentManifest } from './support/deployment-manifest.ts';

// Over 10,000 generated hostile requests against a real `kubelab serve`, through one
// keep-alive connection pool as kubectl and informers use: every one is refused with a
// 4xx Status that says what is wrong (reads may answer 2xx), never a 5xx or a dropped
// connection; the process stays up with bounded memory, and what the store holds is
// the same before and after, object for object.

let serve: ServeProcess;
let token: string;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function send(request: HostileRequest): Promise<RawResponse> {
  return apiRequest(serve.httpUrl, request.method, request.path, {
    token,
    agent,
    body: request.body,
    headers: request.contentType === undefined ? {} : { 'Content-Type': request.contentType },
  });
}

/** Every stored object of every listable resource but Leases (the leaders renew theirs as the run goes). */
async function storedObjects(): Promise<string> {
  const groups = [{ path: '/api/v1' }];
  for (const group of (await apiRequest(serve.httpUrl, 'GET', '/apis', { token })).json().groups) groups.push({ path: `/apis/${group.preferredVersion.groupVersion}` });
  const lists: Record<string, unknown> = {};
  for (const { path } of groups) {
    for (const resource of (await apiRequest(serve.httpUrl, 'GET', path, { token })).json().resources) {
      if (resource.name.includes('/') || !resource.verbs.includes('list') || resource.kind === 'Lease') continue;
      const res = await apiRequest(serve.httpUrl, 'GET', `${path}/${resource.name}`, { token });
      expect(res.status, `${path}/${resource.name}`).toBe(200);
      lists[`${path}/${resource.name}`] = res.json().items;
    }
  }
  return JSON.stringify(lists);
}

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

function statusMessage(res: RawResponse): string {
  const status = res.json();
  expect(status.kind).toBe('Status');
  expect(typeof status.message).toBe('string');
  return status.message;
}

beforeAll(async () => {
  serve = await startServe(undefined, ['--no-local-node']);
  token = tokenOf(serve.dataDir);
  const create = async (path: string, body: unknown) => expect((await apiRequest(serve.httpUrl, 'POST', path, { token, body })).status).toBe(201);
  await create('/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fixture' }, data: { k: 'v' } });
  await create('/apis/apps/v1/namespaces/default/deployments', deploymentManifest('fixture', 0, { containers: [{ name: 'main', image: 'kubelab/busybox:test' }] }));
  // The Deployment settles (its ReplicaSet made, its status written) before the "before" picture.
  await eventually(async () => (await apiRequest(serve.httpUrl, 'GET', FIXTURE_DEPLOYMENT, { token })).json().status?.observedGeneration === 1, 'the fixture Deployment observed');
  expect((await apiRequest(serve.httpUrl, 'GET', FIXTURE_CONFIGMAP, { token })).status).toBe(200);
});

afterAll(async () => {
  agent.destroy();
  await serve?.stop();
});

describe('hostile input', () => {
  it('every generated hostile request is refused with a 4xx that says why; the server stays up, its memory bounded, and the store unchanged', async () => {
    const before = await storedObjects();
    const families: Record<string, number> = {};
    let total = 0;
    for (const [name, requests, numRuns] of HOSTILE_FAMILIES) {
      await fc.assert(
        fc.asyncProperty(requests, async (request) => {
          const res = await send(request);
          const what = `${request.family}: ${request.method} ${request.path.slice(0, 120)} (${request.contentType ?? 'application/json'}) → ${res.status} ${res.body.slice(0, 300)}`;
          expect(res.status, what).toBeLessThan(500);
          if (request.read && res.status < 300) {
            // a list that happened to parse
          } else if (request.failingWatch && res.status < 300) {
            // Kubernetes starts the stream, then says why it ends in an ERROR event.
            const event = JSON.parse(res.body.split('\n')[0]);
            expect(event.type, what).toBe('ERROR');
            expect(event.object.message, what).toBeTruthy();
          } else {
            expect(res.status, what).toBeGreaterThanOrEqual(400);
            const message = statusMessage(res);
            expect(message.length, what).toBeGreaterThan(0);
            if (request.expect) expect(message, what).toMatch(request.expect);
          }
          families[request.family] = (families[request.family] ?? 0) + 1;
          total++;
        }),
        { numRuns, endOnFailure: true },
      );
      expect(serve.child.exitCode, `kubelab serve exited during "${name}":\n${serve.output()}`).toBeNull();
    }
    expect(total).toBeGreaterThanOrEqual(10_000);
    // Bounded memory: 10 MiB bodies and 30,000-level documents leave nothing behind.
    expect(rssMiB(serve.child.pid!)).toBeLessThan(1024);
    expect(await storedObjects()).toBe(before);
    expect(Object.keys(families).length).toBeGreaterThanOrEqual(15);
  });
});
