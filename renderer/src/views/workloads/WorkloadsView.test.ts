import { flushPromises, type DOMWrapper } from '@vue/test-utils';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import type { KubeObject } from '../../../../core/api/kube-object.ts';
import type { ResourceInfo } from '../../../../core/api/resource-catalog.ts';
import type { RestClient } from '../../../../core/client/rest-client.ts';
import { useFilterStore } from '../../stores/filter.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import WorkloadsView from './WorkloadsView.vue';

const SLOT_WIDTH = 20;

function deployment(name: string, replicas: number, labels: Record<string, string>): Deployment & KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { namespace: 'shop', name, labels, uid: `uid-${name}` },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
  };
}

function replicaSet(name: string, owner: string | undefined, replicas: number): ReplicaSet & KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      namespace: 'shop',
      name,
      labels: { tier: 'web' },
      uid: `uid-${name}`,
      ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'Deployment', name: owner, uid: `uid-${owner}`, controller: true }] : undefined,
    },
    spec: { replicas, selector: {}, template: { spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } },
    status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
  };
}

const job: Job & KubeObject = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { namespace: 'shop', name: 'migrate', labels: { tier: 'db' } },
  spec: { completions: 3, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  status: { succeeded: 2, failed: 1 },
};

/** The scale subresource of each object, in memory, with the calls it received. */
function stubClient(initial: Record<string, number>) {
  const replicas = new Map(Object.entries(initial));
  const getScale = vi.fn(async (_info: ResourceInfo, namespace: string, name: string): Promise<Scale> => ({
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { namespace, name, resourceVersion: '7' },
    spec: { replicas: replicas.get(name) },
  }));
  const updateScale = vi.fn(async (_info: ResourceInfo, _namespace: string, name: string, scale: Scale): Promise<Scale> => {
    replicas.set(name, scale.spec?.replicas ?? 0);
    return scale;
  });
  return { client: { getScale, updateScale } as unknown as RestClient, getScale, updateScale, replicas };
}

let unmount: (() => void) | undefined;

async function mountWorkloads(client: RestClient) {
  // Attached to the document so that pointer events bubble up to the window, as in a browser.
  const mounted = await mountApp(WorkloadsView, {
    client,
    path: '/workloads',
    objects: {
      deployments: [deployment('web', 2, { tier: 'web' }), deployment('canary', 1, { tier: 'web', canary: 'true' })],
      replicasets: [replicaSet('web-abc', 'web', 2), replicaSet('web-old', 'web', 0), replicaSet('lonely', undefined, 3)],
      jobs: [job],
    },
  }, { attachTo: document.body });
  unmount = () => mounted.wrapper.unmount();
  return mounted;
}

/** Lays the slots out in a row, SLOT_WIDTH apart (happy-dom does no layout). */
function layOutSlots(row: DOMWrapper<Element>): void {
  for (const slot of row.findAll('[data-test="replica-slot"]')) {
    const index = Number(slot.attributes('data-index'));
    (slot.element as HTMLElement).getBoundingClientRect = () => new DOMRect(index * SLOT_WIDTH, 0, SLOT_WIDTH, SLOT_WIDTH);
  }
}

const slotCenter = (index: number) => index * SLOT_WIDTH + SLOT_WIDTH / 2;

function pointer(type: string, clientX: number): PointerEvent {
  return new PointerEvent(type, { bubbles: true, cancelable: true, pointerId: 1, button: 0, clientX });
}

describe('workloads view', () => {
  // happy-dom lays nothing out; give the virtualised lists a viewport to fill.
  beforeEach(() => {
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1000);
  });
  afterEach(() => {
    unmount?.();
    unmount = undefined;
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('lists each kind with counts, ReplicaSets indented under their Deployment, and a rollout link', async () => {
    const { wrapper } = await mountWorkloads(stubClient({}).client);
    const rows = wrapper.findAll('[data-test="workload-row"]').map((row) => `${row.attributes('data-kind')}/${row.attributes('data-name')}`);
    expect(rows).toEqual(['Deployment/canary', 'Deployment/web', 'ReplicaSet/web-abc', 'ReplicaSet/lonely', 'Job/migrate']);
    const web = wrapper.find('[data-test="workload-row"][data-kind="Deployment"][data-name="web"]');
    const counts = web.find('[data-test="workload-counts"]');
    expect(counts.text()).toBe('2/2');
    expect(counts.attributes('data-desired')).toBe('2');
    expect(counts.attributes('data-ready')).toBe('2');
    expect(web.find('[data-test="rollout-link"]').attributes('href')).toContain('/workloads/deployments/shop/web');
    expect(wrapper.find('[data-kind="Job"] [data-test="workload-counts"]').text()).toBe('2/3');
    // A Deployment's ReplicaSet is scaled by its Deployment, so it has no handle of its own.
    expect(wrapper.find('[data-name="web-abc"] [data-test="replica-handle"]').exists()).toBe(false);
    expect(wrapper.find('[data-name="lonely"] [data-test="replica-handle"]').exists()).toBe(true);

    await wrapper.find('[data-test="show-old-replicasets"]').setValue(true);
    expect(wrapper.find('[data-name="web-old"]').exists()).toBe(true);
  });

  it('applies the label filter to the workloads own labels', async () => {
    const { wrapper } = await mountWorkloads(stubClient({}).client);
    useFilterStore().setText('tier in (web),!canary');
    await nextTick();
    const rows = wrapper.findAll('[data-test="workload-row"]').map((row) => row.attributes('data-name'));
    expect(rows).toEqual(['web', 'web-abc', 'lonely']);
  });

  it('drags the handle from 2 to 5 with ghost tiles, commits 5, and the undo toast restores 2', async () => {
    const stub = stubClient({ web: 2 });
    const { wrapper } = await mountWorkloads(stub.client);
    const ui = useUiStore();
    const row = wrapper.find('[data-kind="Deployment"][data-name="web"]');
    const slots = row.findAll('[data-test="replica-slot"]');
    expect(slots.map((slot) => slot.attributes('data-index'))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    layOutSlots(row);
    const handle = row.find('[data-test="replica-handle"]');
    expect(handle.attributes('aria-valuenow')).toBe('2');

    handle.element.dispatchEvent(pointer('pointerdown', slotCenter(2)));
    handle.element.dispatchEvent(pointer('pointermove', slotCenter(4) + 3));
    handle.element.dispatchEvent(pointer('pointermove', slotCenter(5) - 4));
    await nextTick();
    expect(row.findAll('[data-test="ghost-tile"]').map((tile) => tile.element.parentElement?.getAttribute('data-index'))).toEqual(['3', '4', '5']);
    expect(row.find('[data-test="scale-preview"]').text()).toBe('2 → 5');
    expect(stub.updateScale).not.toHaveBeenCalled();

    handle.element.dispatchEvent(pointer('pointerup', slotCenter(5)));
    await flushPromises();
    expect(stub.updateScale).toHaveBeenCalledTimes(1);
    const [info, namespace, name, scale] = stub.updateScale.mock.calls[0];
    expect([info.plural, namespace, name, scale.spec?.replicas, scale.metadata?.resourceVersion]).toEqual(['deployments', 'shop', 'web', 5, '7']);
    expect(ui.kubectlCommand).toBe('kubectl scale deployment/web --replicas=5 -n shop');
    expect(row.find('[data-test="ghost-tile"]').exists()).toBe(false);
    expect(row.find('[data-test="replica-handle"]').attributes('aria-valuenow')).toBe('5');

    const toast = ui.toasts.at(-1)!;
    expect(toast.message).toBe('Scaled Deployment web from 2 to 5');
    expect(toast.action?.label).toBe('Undo');
    await toast.action!.run();
    expect(stub.updateScale).toHaveBeenCalledTimes(2);
    expect(stub.updateScale.mock.calls[1][3].spec?.replicas).toBe(2);
    expect(stub.replicas.get('web')).toBe(2);
    expect(ui.kubectlCommand).toBe('kubectl scale deployment/web --replicas=2 -n shop');
  });

  it('shows the replicas that will go as dimmed ghosts when dragging down', async () => {
    const stub = stubClient({ web: 2 });
    const { wrapper } = await mountWorkloads(stub.client);
    const row = wrapper.find('[data-kind="Deployment"][data-name="web"]');
    layOutSlots(row);
    const handle = row.find('[data-test="replica-handle"]');
    handle.element.dispatchEvent(pointer('pointerdown', slotCenter(2)));
    handle.element.dispatchEvent(pointer('pointermove', slotCenter(1)));
    await nextTick();
    const ghosts = row.findAll('[data-test="ghost-tile"]');
    expect(ghosts.map((tile) => tile.attributes('data-ghost'))).toEqual(['remove']);
    handle.element.dispatchEvent(pointer('pointerup', slotCenter(1)));
    await flushPromises();
    expect(stub.updateScale.mock.calls[0][3].spec?.replicas).toBe(1);
  });

  it('scales with + and - on the focused handle, in one write after a pause', async () => {
    vi.useFakeTimers();
    const stub = stubClient({ web: 2 });
    const { wrapper } = await mountWorkloads(stub.client);
    const handle = wrapper.find('[data-kind="Deployment"][data-name="web"] [data-test="replica-handle"]');
    await handle.trigger('keydown', { key: '+' });
    await handle.trigger('keydown', { key: '+' });
    await handle.trigger('keydown', { key: 'ArrowRight' });
    await handle.trigger('keydown', { key: '+' });
    await handle.trigger('keydown', { key: '-' });
    expect(handle.attributes('aria-valuenow')).toBe('5');
    expect(stub.updateScale).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(400);
    await flushPromises();
    expect(stub.updateScale).toHaveBeenCalledTimes(1);
    expect(stub.updateScale.mock.calls[0][3].spec?.replicas).toBe(5);
  });

  it('commits the number field on Enter, once', async () => {
    const stub = stubClient({ lonely: 3 });
    const { wrapper } = await mountWorkloads(stub.client);
    const input = wrapper.find('[data-name="lonely"] [data-test="replica-input"]');
    expect((input.element as HTMLInputElement).value).toBe('3');
    await input.trigger('focus');
    await input.setValue('7');
    await input.trigger('keydown', { key: 'Enter' });
    await input.trigger('blur');
    await flushPromises();
    expect(stub.updateScale).toHaveBeenCalledTimes(1);
    const [info, , name, scale] = stub.updateScale.mock.calls[0];
    expect([info.plural, name, scale.spec?.replicas]).toEqual(['replicasets', 'lonely', 7]);
    expect(useUiStore().kubectlCommand).toBe('kubectl scale replicaset/lonely --replicas=7 -n shop');
  });

  it('shows the API error in a toast and puts the handle back', async () => {
    const stub = stubClient({ web: 2 });
    stub.updateScale.mockRejectedValueOnce(new Error('deployments.apps "web" is forbidden'));
    const { wrapper } = await mountWorkloads(stub.client);
    const row = wrapper.find('[data-kind="Deployment"][data-name="web"]');
    const input = row.find('[data-test="replica-input"]');
    await input.setValue('4');
    await input.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    const toast = useUiStore().toasts.at(-1)!;
    expect(toast.kind).toBe('error');
    expect(toast.message).toContain('deployments.apps "web" is forbidden');
    expect(row.find('[data-test="replica-handle"]').attributes('aria-valuenow')).toBe('2');
  });
});
