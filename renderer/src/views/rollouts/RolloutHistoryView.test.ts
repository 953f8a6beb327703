import { flushPromises } from '@vue/test-utils';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../core/api/kube-object.ts';
import { RestClient } from '../../../../core/client/rest-client.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import RolloutHistoryView from './RolloutHistoryView.vue';

const template = (image: string, hash?: string) => ({ metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } }, spec: { containers: [{ name: 'web', image }] } });
const deployment: Deployment = {
  metadata: { name: 'web', namespace: 'shop', uid: 'd1', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' } },
  spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: template('web:2') },
  status: { observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 },
};
const rs = (name: string, revision: number, image: string): ReplicaSet => ({
  metadata: {
    name,
    namespace: 'shop',
    uid: name,
    annotations: { 'deployment.kubernetes.io/revision': String(revision), 'kubernetes.io/change-cause': `image ${image}` },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }],
  },
  spec: { selector: { matchLabels: { app: 'web' } }, template: template(image, name) },
});

describe('rollout history view', () => {
  it('lists revisions, marks the current one, and rolls back with kubectl undo\'s JSON patch', async () => {
    const calls: { method: string; url: string; type: string | null; body: unknown }[] = [];
    const client = new RestClient({
      server: 'http://127.0.0.1:1',
      fetch: async (input, init) => {
        calls.push({ method: init?.method ?? 'GET', url: String(input), type: new Headers(init?.headers).get('content-type'), body: init?.body ? JSON.parse(String(init.body)) : undefined });
        return new Response('{}', { headers: { 'content-type': 'application/json' } });
      },
    });
    const { wrapper } = await mountApp(
      RolloutHistoryView,
      { objects: { deployments: [deployment as KubeObject], replicasets: [rs('web-1', 1, 'web:1'), rs('web-2', 2, 'web:2')] as KubeObject[] }, client, path: '/workloads/deployments/shop/web' },
      { props: { namespace: 'shop', name: 'web' } },
    );
    const rows = wrapper.findAll('[data-test="revision-row"]');
    expect(rows.map((row) => [row.attributes('data-revision'), row.attributes('data-current')])).toEqual([
      ['2', 'true'],
      ['1', 'false'],
    ]);
    expect(rows[0].find('[data-test="rollback"]').exists()).toBe(false);
    await rows[1].get('[data-test="rollback"]').trigger('click');
    await flushPromises();
    expect(calls[0]).toMatchObject({ method: 'PATCH', type: 'application/json-patch+json' });
    expect(new URL(calls[0].url).pathname).toBe('/apis/apps/v1/namespaces/shop/deployments/web');
    expect((calls[0].body as { value: unknown }[])[0].value).toEqual(template('web:1'));
    expect(useUiStore().kubectlCommand).toBe('kubectl rollout undo deployment/web -n shop --to-revision=1');

    await wrapper.get('[data-test="pause"]').trigger('click');
    await flushPromises();
    expect(calls[1]).toMatchObject({ method: 'PATCH', type: 'application/merge-patch+json', body: { spec: { paused: true } } });
    expect(useUiStore().kubectlCommand).toBe('kubectl rollout pause deployment/web -n shop');
    expect(wrapper.get('[data-test="rollout-status"]').text()).toContain('deployment "web" successfully rolled out');
  });
});
