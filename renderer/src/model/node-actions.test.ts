import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { RestClient } from '../../../core/client/rest-client.ts';
import {
  addEndpointRequest,
  cordonPatch,
  drainPlan,
  labNodeObject,
  labNodeStoppedPatch,
  runDrain,
  runLabNodeStopped,
} from './node-actions.ts';

function pod(name: string, owner?: string, extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    metadata: { name, namespace: 'default', ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: owner, name: 'x', uid: 'u', controller: true }] } : {}), ...extra },
    spec: { nodeName: 'lab-1', containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running' },
  };
}

function recordingClient(): { client: RestClient; calls: { method: string; url: string; body: unknown; type: string | null }[] } {
  const calls: { method: string; url: string; body: unknown; type: string | null }[] = [];
  const client = new RestClient({
    server: 'http://127.0.0.1:1',
    token: 't',
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      calls.push({ method: init?.method ?? 'GET', url: String(input), body: init?.body ? JSON.parse(String(init.body)) : undefined, type: headers.get('content-type') });
      return new Response(JSON.stringify({ kind: 'Status', status: 'Success' }), { status: 200, headers: { 'content-type': 'application/json' } });
    },
  });
  return { client, calls };
}

describe('node actions', () => {
  it('cordons by setting spec.unschedulable and uncordons by removing it', () => {
    expect(cordonPatch(true)).toEqual({ spec: { unschedulable: true } });
    expect(cordonPatch(false)).toEqual({ spec: { unschedulable: null } });
  });

  it('drains everything but DaemonSet and mirror pods, and holds bare pods back unless forced', () => {
    const pods = [
      pod('web', 'ReplicaSet'),
      pod('agent', 'DaemonSet'),
      pod('static', undefined, { annotations: { 'kubernetes.io/config.mirror': 'abc' } }),
      pod('bare'),
      { ...pod('elsewhere', 'ReplicaSet'), spec: { nodeName: 'lab-2', containers: [] } },
    ];
    const plan = drainPlan('lab-1', pods);
    expect(plan.evict.map((p) => p.metadata?.name)).toEqual(['web']);
    expect(plan.daemonSet.map((p) => p.metadata?.name)).toEqual(['agent']);
    expect(plan.mirror.map((p) => p.metadata?.name)).toEqual(['static']);
    expect(plan.unmanaged.map((p) => p.metadata?.name)).toEqual(['bare']);
    expect(drainPlan('lab-1', pods, true).evict.map((p) => p.metadata?.name)).toEqual(['web', 'bare']);
  });

  it('sends the drain as a cordon, then a delete per pod (the API serves no eviction yet)', async () => {
    const { client, calls } = recordingClient();
    await runDrain(client, 'lab-1', [pod('web', 'ReplicaSet'), pod('agent', 'DaemonSet')]);
    expect(calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual(['PATCH /api/v1/nodes/lab-1', 'DELETE /api/v1/namespaces/default/pods/web']);
    expect(calls[0].body).toEqual({ spec: { unschedulable: true } });
    await expect(runDrain(client, 'lab-1', [pod('bare')])).rejects.toThrow(/--force/);
  });

  it('stops and starts a lab node through its annotation, as kubelab node stop|start does', async () => {
    expect(labNodeStoppedPatch(true)).toEqual({ metadata: { annotations: { 'kubelab.io/lab-node-stopped': 'true' } } });
    expect(labNodeStoppedPatch(false)).toEqual({ metadata: { annotations: { 'kubelab.io/lab-node-stopped': null } } });
    const { client, calls } = recordingClient();
    await runLabNodeStopped(client, 'lab-1', true);
    expect(calls[0]).toMatchObject({ method: 'PATCH', type: 'application/merge-patch+json', body: labNodeStoppedPatch(true) });
  });

  it('creates lab nodes like kubelab node create, checking quantities', () => {
    expect(labNodeObject({ name: 'lab-3', cpus: '2', memory: '4Gi' }).metadata).toEqual({
      name: 'lab-3',
      annotations: { 'kubelab.io/lab-node': 'true', 'kubelab.io/capacity': 'cpu=2,memory=4Gi' },
      finalizers: ['kubelab.io/lab-node-cleanup'],
    });
    expect(() => labNodeObject({ name: 'lab-3', memory: 'lots' })).toThrow(/quantity/);
  });

  it('adds endpoints like kubelab node add, refusing plain tcp without the explicit choice', () => {
    expect(() => addEndpointRequest({ name: 'n', kind: 'tcp', address: '10.0.0.2:2375' })).toThrow(/unencrypted/);
    expect(() => addEndpointRequest({ name: 'n', kind: 'tcp', address: '10.0.0.2:2376', tls: { ca: 'a', cert: '', key: '' } })).toThrow(/all three/);
    expect(addEndpointRequest({ name: 'n', kind: 'tcp', address: '10.0.0.2:2375', insecure: true }).node.metadata.annotations).toEqual({
      'kubelab.io/docker-endpoint': 'tcp://10.0.0.2:2375',
      'kubelab.io/docker-insecure': 'true',
    });
    const tls = addEndpointRequest({ name: 'n', kind: 'tcp', address: '10.0.0.2', tls: { ca: 'CA', cert: 'CERT', key: 'KEY' } });
    expect(tls.node.metadata.annotations).toEqual({ 'kubelab.io/docker-endpoint': 'tcp://10.0.0.2:2376', 'kubelab.io/docker-tls-secret': 'kubelab-node-n-tls' });
    expect(tls.secrets[0]).toMatchObject({ metadata: { name: 'kubelab-node-n-tls', namespace: 'kube-system' }, data: { 'ca.crt': btoa('CA'), 'tls.crt': btoa('CERT'), 'tls.key': btoa('KEY') } });
    const ssh = addEndpointRequest({ name: 'n', kind: 'ssh', address: 'me@box', sshKey: 'KEY' });
    expect(ssh.node.metadata.annotations).toEqual({ 'kubelab.io/docker-endpoint': 'ssh://me@box', 'kubelab.io/docker-ssh-secret': 'kubelab-node-n-ssh' });
    expect(() => addEndpointRequest({ name: 'n', kind: 'unix', address: 'relative.sock' })).toThrow(/absolute/);
  });
});
