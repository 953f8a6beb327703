import { flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../core/api/kube-object.ts';
import { RestClient } from '../../../../core/client/rest-client.ts';
import { useFilterStore } from '../../stores/filter.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import NodesView from './NodesView.vue';

const nodes = [
  { metadata: { name: 'lab-1', labels: { zone: 'a' }, annotations: { 'kubelab.io/lab-node': 'true', 'kubelab.io/lab-node-stopped': 'true' } }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
  { metadata: { name: 'local', labels: { zone: 'b' }, annotations: { 'kubelab.io/docker-endpoint': 'unix:///var/run/docker.sock' } }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
] as KubeObject[];

function recordingClient() {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const client = new RestClient({
    server: 'http://127.0.0.1:1',
    fetch: async (input, init) => {
      calls.push({ method: init?.method ?? 'GET', path: new URL(String(input)).pathname, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      return new Response('{}', { status: 201, headers: { 'content-type': 'application/json' } });
    },
  });
  return { client, calls };
}

describe('nodes view', () => {
  it('lists nodes with their status and the actions that fit each', async () => {
    const { client, calls } = recordingClient();
    const { wrapper } = await mountApp(NodesView, { objects: { nodes }, client, path: '/nodes' });
    const rows = wrapper.findAll('[data-test="node-row"]');
    expect(rows.map((row) => [row.attributes('data-node'), row.attributes('data-status')])).toEqual([
      ['lab-1', 'Stopped'],
      ['local', 'Ready,SchedulingDisabled'],
    ]);
    expect(rows[0].find('[data-test="node-action-start"]').exists()).toBe(true);
    expect(rows[1].find('[data-test="node-action-stop"]').exists()).toBe(false);
    expect(rows[1].find('[data-test="node-action-uncordon"]').exists()).toBe(true);

    await rows[0].get('[data-test="node-action-start"]').trigger('click');
    await flushPromises();
    expect(calls[0]).toEqual({ method: 'PATCH', path: '/api/v1/nodes/lab-1', body: { metadata: { annotations: { 'kubelab.io/lab-node-stopped': null } } } });
    expect(useUiStore().kubectlCommand).toBe('kubelab node start lab-1');

    useFilterStore().setText('zone=b');
    await flushPromises();
    expect(wrapper.findAll('[data-test="node-row"]').map((row) => row.attributes('data-node'))).toEqual(['local']);
  });

  it('refuses plain tcp without the explicit choice, then adds the node', async () => {
    const { client, calls } = recordingClient();
    const { wrapper } = await mountApp(NodesView, { objects: { nodes }, client, path: '/nodes' });
    const form = wrapper.get('[data-test="add-endpoint-form"]');
    await form.get('input[name="name"]').setValue('remote');
    await form.get('input[value="tcp"]').setValue(true);
    await form.get('input[name="address"]').setValue('10.0.0.5:2375');
    await form.trigger('submit');
    await flushPromises();
    expect(form.get('[data-test="add-endpoint-error"]').text()).toContain('unencrypted');
    expect(calls).toEqual([]);
    await form.get('[data-test="add-endpoint-insecure"]').setValue(true);
    await form.trigger('submit');
    await flushPromises();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/v1/nodes', body: { metadata: { name: 'remote', annotations: { 'kubelab.io/docker-endpoint': 'tcp://10.0.0.5:2375', 'kubelab.io/docker-insecure': 'true' } } } });
    expect(useUiStore().kubectlCommand).toBe('kubelab node add remote --docker tcp://10.0.0.5:2375 --insecure');
  });

  it('creates a lab node like kubelab node create', async () => {
    const { client, calls } = recordingClient();
    const { wrapper } = await mountApp(NodesView, { objects: { nodes }, client, path: '/nodes' });
    const form = wrapper.get('[data-test="create-lab-node-form"]');
    await form.get('input[name="name"]').setValue('lab-2');
    await form.get('input[name="cpus"]').setValue('2');
    await form.trigger('submit');
    await flushPromises();
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/v1/nodes', body: { metadata: { name: 'lab-2', annotations: { 'kubelab.io/lab-node': 'true', 'kubelab.io/capacity': 'cpu=2' } } } });
    expect(useUiStore().kubectlCommand).toBe('kubelab node create lab-2 --cpus 2');
  });
});
