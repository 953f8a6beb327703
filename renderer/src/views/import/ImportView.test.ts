import { flushPromises } from '@vue/test-utils';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findByKind, type ResourceInfo } from '../../../../core/api/resource-catalog.ts';
import { RestClient } from '../../../../core/client/rest-client.ts';
import { startTestCluster, TOKEN, type TestCluster } from '../../../../core/controllers/workload-test-support.ts';
import type { PlanRow } from '../../../../core/manifest/plan-import.ts';
import { useImportStore } from '../../stores/import.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import ImportView from './ImportView.vue';

// The view against the real API server (on a temporary store): paste, dry run, read the
// table, apply. Plus the table alone for a plan that has nothing to apply.

let cluster: TestCluster;
let client: RestClient;

beforeAll(async () => {
  cluster = await startTestCluster();
  // Same origin as `kubelab serve` gives the page: the simulated browser enforces CORS like a real one.
  (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${cluster.url}/`);
  client = new RestClient({ server: '', token: TOKEN });
});

afterAll(() => cluster?.close());

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: calm
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: three
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - {name: web, image: nginx}
`;

function errorRow(index: number, line: number): PlanRow {
  return { index, file: 'bad.yaml', line: 1, apiVersion: 'v1', kind: 'ConfigMap', name: `c${index}`, namespace: 'default', action: 'error', error: { message: 'broken', line } };
}

describe('ImportView', () => {
  it('dry-runs pasted YAML, shows the error line, holds back the whole text while one document is invalid, then applies it fixed', async () => {
    const { wrapper } = await mountApp(ImportView, { path: '/import', client });
    const importStore = useImportStore();
    const ui = useUiStore();
    await wrapper.find('[data-test="import-editor"]').setValue(MANIFEST);
    expect(wrapper.find('[data-test="import-apply"]').attributes('disabled')).toBeDefined();
    await wrapper.find('[data-test="import-dry-run"]').trigger('click');
    await vi.waitUntil(() => importStore.phase === 'planned', { timeout: 5000 });
    await flushPromises();
    expect(ui.kubectlCommand).toBe('kubectl apply -f - --dry-run=server');

    const rows = wrapper.findAll('[data-test="import-row"]');
    expect(rows.map((row) => row.attributes('data-action'))).toEqual(['error', 'error']);
    expect(rows[1].find('[data-test="import-error-line"]').text()).toBe('line 13');
    expect(rows[1].text()).toContain('must be of type integer');
    expect(rows[0].text()).toContain('applied whole or not at all');
    expect(wrapper.find('[data-test="import-apply"]').attributes('disabled')).toBeDefined();

    await wrapper.find('[data-test="import-editor"]').setValue(MANIFEST.replace('replicas: three', 'replicas: 3'));
    await wrapper.find('[data-test="import-dry-run"]').trigger('click');
    await vi.waitUntil(() => importStore.phase === 'planned', { timeout: 5000 });
    await flushPromises();
    expect(wrapper.findAll('[data-test="import-row"]').map((row) => row.attributes('data-action'))).toEqual(['create', 'create']);
    const apply = wrapper.find('[data-test="import-apply"]');
    expect(apply.attributes('disabled')).toBeUndefined();
    await apply.trigger('click');
    await vi.waitUntil(() => importStore.phase === 'done', { timeout: 5000 });
    await flushPromises();
    expect(ui.kubectlCommand).toBe('kubectl apply -f -');
    expect(wrapper.find('[data-test="import-done"]').text()).toContain('2 created');
    expect(wrapper.findAll('[data-test="import-row"]').map((row) => row.attributes('data-outcome'))).toEqual(['created', 'created']);
    const configMaps = findByKind('v1', 'ConfigMap') as ResourceInfo;
    expect((await client.get(configMaps, 'default', 'settings')).data).toEqual({ mode: 'calm' });
    await client.get(findByKind('apps/v1', 'Deployment') as ResourceInfo, 'default', 'web');
    wrapper.unmount();
  });

  it('renders plan rows and keeps Apply disabled when every row is an error', async () => {
    const { wrapper } = await mountApp(ImportView, { path: '/import', client });
    const importStore = useImportStore();
    importStore.rows = [errorRow(0, 4), errorRow(1, 12)];
    importStore.phase = 'planned';
    await flushPromises();
    const rows = wrapper.findAll('[data-test="import-row"]');
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => row.attributes('data-action') === 'error')).toBe(true);
    expect(rows.map((row) => row.find('[data-test="import-error-line"]').text())).toEqual(['line 4', 'line 12']);
    expect(wrapper.find('[data-test="import-apply"]').attributes('disabled')).toBeDefined();

    importStore.rows = [errorRow(0, 4), { ...errorRow(1, 1), action: 'update', error: undefined }];
    await flushPromises();
    expect(wrapper.find('[data-test="import-apply"]').attributes('disabled')).toBeUndefined();
    wrapper.unmount();
  });

  it('speaks Chinese too', async () => {
    const { wrapper } = await mountApp(ImportView, { path: '/import', client, locale: 'zh' });
    const importStore = useImportStore();
    importStore.rows = [errorRow(0, 7)];
    importStore.phase = 'planned';
    await flushPromises();
    expect(wrapper.find('[data-test="import-error-line"]').text()).toBe('第 7 行');
    expect(wrapper.find('[data-test="import-dry-run"]').text()).toBe('试运行');
    wrapper.unmount();
  });
});
