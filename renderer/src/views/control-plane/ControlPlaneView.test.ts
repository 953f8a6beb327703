import { flushPromises } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { RestClient } from '../../../../core/client/rest-client.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import ControlPlaneView from './ControlPlaneView.vue';

const now = () => new Date().toISOString();

function stubClient() {
  const calls: string[] = [];
  const components = [
    { name: 'scheduler-1', kind: 'scheduler', state: 'running', restarts: 0, startedAt: now(), recentActions: [{ time: now(), action: 'bound pod default/web-1 to node-a' }] },
    { name: 'scheduler-2', kind: 'scheduler', state: 'running', restarts: 1, startedAt: now(), recentActions: [] },
    { name: 'controller-manager-1', kind: 'controller-manager', state: 'running', restarts: 0, startedAt: now(), recentActions: [{ time: now(), action: 'scaled ReplicaSet default/web-abc to 3' }] },
  ];
  const leases: Record<string, string> = { 'kube-scheduler': 'scheduler-2-a1b2c3', 'kube-controller-manager': 'controller-manager-1-ffee00' };
  const client = {
    async raw(method: string, path: string) {
      calls.push(`${method} ${path}`);
      if (path === '/kubelab/v1/components') return { items: components };
      if (path === '/readyz') return 'ok';
      if (method === 'POST') return { terminated: path.split('/')[4] };
      throw new Error(`unexpected ${path}`);
    },
    async get(_info: unknown, namespace: string, name: string) {
      calls.push(`GET lease ${namespace}/${name}`);
      return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { holderIdentity: leases[name], leaseDurationSeconds: 15, renewTime: now() } };
    },
  };
  return { client: client as unknown as RestClient, calls };
}

// The first mount transforms the router's lazily loaded view; allow for a busy machine.
describe('ControlPlaneView', { timeout: 30_000 }, () => {
  it('shows the API server and every copy, marking the copy that holds each Lease as leader', async () => {
    const { client, calls } = stubClient();
    const { wrapper } = await mountApp(ControlPlaneView, { client, path: '/control-plane' });
    await flushPromises();
    const rows = wrapper.findAll('[data-test="component-row"]');
    expect(rows.map((r) => [r.attributes('data-component'), r.attributes('data-leader')])).toEqual([
      ['apiserver', 'false'],
      ['scheduler-1', 'false'],
      ['scheduler-2', 'true'],
      ['controller-manager-1', 'true'],
    ]);
    expect(rows[0].attributes('data-healthy')).toBe('true');
    expect(calls).toContain('GET lease kube-system/kube-scheduler');
    expect(wrapper.findAll('[data-test="component-action"]').map((a) => a.text())).toEqual(
      expect.arrayContaining([expect.stringContaining('bound pod default/web-1 to node-a'), expect.stringContaining('scaled ReplicaSet default/web-abc to 3')]),
    );
    wrapper.unmount();
  });

  it('stops a copy through the components API and shows the kubectl equivalent', async () => {
    const { client, calls } = stubClient();
    const { wrapper } = await mountApp(ControlPlaneView, { client, path: '/control-plane' });
    await flushPromises();
    await wrapper.find('[data-component="scheduler-2"] [data-test="component-stop"]').trigger('click');
    await flushPromises();
    expect(calls).toContain('POST /kubelab/v1/components/scheduler-2/terminate');
    expect(useUiStore().kubectlCommand).toBe('kubectl get lease kube-scheduler -n kube-system -w');
    wrapper.unmount();
  });
});
