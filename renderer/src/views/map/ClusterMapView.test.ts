import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import type { KubeObject } from '../../../../core/api/kube-object.ts';
import { useFilterStore } from '../../stores/filter.ts';
import { useUiStore } from '../../stores/ui.ts';
import { fillCluster, mountApp } from '../../test-support/mount-app.ts';
import ClusterMapView from './ClusterMapView.vue';

function node(name: string): Node & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubelab.io/endpoint-kind': 'local' } },
    status: { allocatable: { cpu: '2', memory: '4Gi' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(name: string, nodeName: string | undefined, labels: Record<string, string>, options: { restarts?: number; waiting?: string } = {}): Pod & KubeObject {
  const state = options.waiting ? { waiting: { reason: options.waiting } } : { running: {} };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'default', name, labels },
    spec: { nodeName, containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '500m', memory: '256Mi' } } }] },
    status: nodeName
      ? {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: options.waiting ? 'False' : 'True' }],
          containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: !options.waiting, restartCount: options.restarts ?? 0, state }],
        }
      : { phase: 'Pending' },
  };
}

const objects = {
  nodes: [node('node-a'), node('node-b')],
  pods: [
    pod('web-1', 'node-a', { tier: 'web' }),
    pod('web-2', 'node-b', { tier: 'web' }, { restarts: 4, waiting: 'CrashLoopBackOff' }),
    pod('db-1', 'node-a', { tier: 'db' }),
    pod('waiting', undefined, { tier: 'web' }),
  ],
};

describe('cluster map', () => {
  // happy-dom lays nothing out; give the virtualised map a viewport to fill.
  beforeEach(() => {
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1000);
  });
  afterEach(() => vi.restoreAllMocks());

  it('groups pods under their node cards, coloured by health, with restart badges', async () => {
    const { wrapper } = await mountApp(ClusterMapView, { objects });
    const cards = wrapper.findAll('[data-test="node-card"]');
    expect(cards.map((card) => card.attributes('data-node'))).toEqual(['node-a', 'node-b']);
    const podsOf = (name: string) => wrapper.findAll(`[data-node="${name}"] [data-test="pod-tile"]`).map((tile) => tile.attributes('data-pod'));
    expect(podsOf('node-a')).toEqual(['default/db-1', 'default/web-1']);
    expect(podsOf('node-b')).toEqual(['default/web-2']);

    const crashing = wrapper.find('[data-pod="default/web-2"]');
    expect(crashing.attributes('data-health')).toBe('crashloop');
    expect(crashing.attributes('style')).toContain('var(--health-crashloop)');
    expect(crashing.find('[data-test="restart-badge"]').text()).toBe('4');
    expect(wrapper.find('[data-pod="default/web-1"] [data-test="restart-badge"]').exists()).toBe(false);

    // Requests of both pods on node-a (2 x 500m) against 2 CPUs.
    const cpu = wrapper.find('[data-node="node-a"] [data-test="node-cpu"]');
    expect(cpu.attributes('data-requested')).toBe('1000');
    expect(cpu.attributes('data-allocatable')).toBe('2000');
    expect(wrapper.find('[data-node="node-a"] [data-test="endpoint-kind"]').text()).toBe('local');

    expect(wrapper.findAll('[data-test="unscheduled-card"] [data-test="pod-tile"]').map((tile) => tile.attributes('data-pod'))).toEqual(['default/waiting']);
  });

  it('hides pods the label filter does not match but keeps every node card', async () => {
    const { wrapper } = await mountApp(ClusterMapView, { objects });
    useFilterStore().setText('tier in (web),!canary');
    await nextTick();
    expect(wrapper.findAll('[data-test="node-card"]')).toHaveLength(2);
    expect(wrapper.findAll('[data-test="pod-tile"]').map((tile) => tile.attributes('data-pod'))).toEqual(['default/waiting', 'default/web-1', 'default/web-2']);
    // The filter hides tiles, not the node's load.
    expect(wrapper.find('[data-node="node-a"] [data-test="node-cpu"]').attributes('data-requested')).toBe('1000');
  });

  it('opens the pod and node panels on click', async () => {
    const { wrapper } = await mountApp(ClusterMapView, { objects });
    const ui = useUiStore();
    await wrapper.find('[data-pod="default/web-2"]').trigger('click');
    expect(ui.selection).toEqual({ kind: 'pod', namespace: 'default', name: 'web-2' });
    expect(ui.kubectlCommand).toBe('kubectl describe pod web-2 -n default');
    await wrapper.find('[data-node="node-b"] [data-test="node-header"]').trigger('click');
    expect(ui.selection).toEqual({ kind: 'node', name: 'node-b' });
  });

  it('redraws a tile when its pod changes health or restarts, and every tile when the language changes', async () => {
    const { wrapper } = await mountApp(ClusterMapView, { objects });
    const untouched = wrapper.find('[data-pod="default/db-1"]').element;
    // A watch batch: web-1 starts crash-looping; every pod arrives as a new object.
    fillCluster({ pods: [pod('web-1', 'node-a', { tier: 'web' }, { restarts: 2, waiting: 'CrashLoopBackOff' }), ...objects.pods.slice(1).map((p) => structuredClone(p))] });
    await nextTick();
    const changed = wrapper.find('[data-pod="default/web-1"]');
    expect(changed.attributes('data-health')).toBe('crashloop');
    expect(changed.attributes('style')).toContain('var(--health-crashloop)');
    expect(changed.find('[data-test="restart-badge"]').text()).toBe('2');
    expect(wrapper.find('[data-pod="default/db-1"]').element).toBe(untouched);
    expect(wrapper.find('[data-pod="default/db-1"]').attributes('aria-label')).toBe('db-1: Running');
    (wrapper.vm as unknown as { $i18n: { locale: string } }).$i18n.locale = 'zh';
    await nextTick();
    expect(wrapper.find('[data-pod="default/db-1"]').attributes('aria-label')).toBe('db-1: 运行中');
    expect(wrapper.find('[data-pod="default/web-1"]').attributes('aria-label')).toBe('web-1: 崩溃重启中');
  });

  it('renders only the lines of tiles in view of a node with thousands of pods, keeping its count and full height', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => pod(`p-${String(i).padStart(4, '0')}`, 'node-a', { tier: 'web' }));
    const { wrapper } = await mountApp(ClusterMapView, { objects: { nodes: [node('node-a'), node('node-b')], pods: many } });
    const card = wrapper.find('[data-node="node-a"]');
    expect(card.find('.count').text()).toContain('2000');
    const tiles = card.findAll('[data-test="pod-tile"]').map((tile) => tile.attributes('data-pod'));
    expect(tiles.length).toBeGreaterThan(0);
    expect(tiles.length).toBeLessThan(1000);
    expect(tiles[0]).toBe('default/p-0000');
    expect(tiles).not.toContain('default/p-1999');
    // The box keeps the height of every line (1,000 px wide: 3 columns, 13 tiles a line).
    const box = card.find('[data-test="pod-tiles"]');
    expect(box.attributes('data-lines')).toBe(String(Math.ceil(2000 / 13)));
    expect((box.element as HTMLElement).style.height).toBe(`${Math.ceil(2000 / 13) * 22 - 4}px`);
    // The filter still counts what it hides, not what is rendered.
    useFilterStore().setText('tier=db');
    await nextTick();
    expect(wrapper.find('[data-node="node-a"] .count').text()).toContain('2000');
    expect(wrapper.findAll('[data-test="pod-tile"]')).toHaveLength(0);
  });

  it('shows the first-run screen, with a way to add a node, when the cluster has no nodes', async () => {
    const { wrapper } = await mountApp(ClusterMapView, { objects: { nodes: [], pods: [pod('waiting', undefined, {})] } });
    const firstRun = wrapper.find('[data-test="first-run"]');
    expect(firstRun.exists()).toBe(true);
    expect(firstRun.text()).toContain('Docker');
    expect(firstRun.text()).toContain('kubelab node create');
    expect(firstRun.find('[data-test="first-run-nodes-link"]').attributes('href')).toContain('/nodes');
    expect(wrapper.find('[data-test="node-card"]').exists()).toBe(false);
  });

  it('speaks Chinese', async () => {
    const { wrapper } = await mountApp(ClusterMapView, { objects: { nodes: [] }, locale: 'zh' });
    expect(wrapper.find('[data-test="first-run"] h2').text()).toBe('还没有节点');
  });
});
