import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../core/api/kube-object.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import ClusterHealthSummary from './ClusterHealthSummary.vue';

const node = (name: string, ready: boolean): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }) as KubeObject;
const pod = (name: string, phase: string, ready: boolean): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName: 'a', containers: [] }, status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }) as KubeObject;

// The first mount transforms the router's lazily loaded view; allow for a busy machine.
describe('ClusterHealthSummary', { timeout: 30_000 }, () => {
  it('shows nodes ready, pods by health and warns when something is unhealthy', async () => {
    const { wrapper, router } = await mountApp(ClusterHealthSummary, { objects: { nodes: [node('a', true), node('b', false)], pods: [pod('p1', 'Running', true), pod('p2', 'Running', true), pod('p3', 'Running', false)] } });
    const summary = wrapper.find('[data-test="health-summary"]');
    expect(summary.attributes('data-unhealthy')).toBe('true');
    expect(wrapper.find('[data-test="health-nodes"]').attributes()).toMatchObject({ 'data-ready': '1', 'data-total': '2' });
    expect(wrapper.find('[data-test="health-pods-running"]').attributes('data-count')).toBe('2');
    expect(wrapper.find('[data-test="health-pods-unready"]').attributes('data-count')).toBe('1');
    await wrapper.find('[data-test="health-nodes"]').trigger('click');
    await router.isReady();
    expect(useUiStore().kubectlCommand).toBe('kubectl get nodes');
  });

  it('is calm when everything is healthy', async () => {
    const { wrapper } = await mountApp(ClusterHealthSummary, { objects: { nodes: [node('a', true)], pods: [pod('p1', 'Running', true)] } });
    expect(wrapper.find('[data-test="health-summary"]').attributes('data-unhealthy')).toBe('false');
    expect(wrapper.find('[data-test="health-workloads"]').exists()).toBe(false);
  });
});
