import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../../../core/api/kube-object.ts';
import { useFilterStore } from '../../stores/filter.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import EventsView from './EventsView.vue';

const pod = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels } });
const event = (name: string, minute: number, kind: string, object: string, type = 'Normal'): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default', uid: name },
    lastTimestamp: `2024-01-01T10:${String(minute).padStart(2, '0')}:00Z`,
    type,
    reason: `${name}-reason`,
    message: `message of ${name}`,
    involvedObject: { kind, name: object, namespace: kind === 'Pod' ? 'default' : undefined },
    source: { component: 'kubelet' },
  }) as KubeObject;

const objects = {
  pods: [pod('web-1', { tier: 'web' }), pod('api-1', { tier: 'api' })],
  events: [event('e1', 1, 'Pod', 'web-1'), event('e2', 3, 'Pod', 'api-1', 'Warning'), event('e3', 2, 'Node', 'node-a'), event('e4', 4, 'Pod', 'gone-pod')],
};

const rowNames = (wrapper: { findAll: (s: string) => { attributes: (a: string) => string | undefined }[] }) =>
  wrapper.findAll('[data-test="event-row"]').map((row) => row.attributes('data-reason')?.replace('-reason', ''));

// The first mount transforms the router's lazily loaded view; allow for a busy machine.
describe('EventsView', { timeout: 30_000 }, () => {
  // happy-dom lays nothing out; give the virtualised list a viewport to fill.
  beforeEach(() => {
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(800);
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1000);
  });
  afterEach(() => vi.restoreAllMocks());

  it('lists events newest first', async () => {
    const { wrapper } = await mountApp(EventsView, { objects, path: '/events' });
    expect(rowNames(wrapper)).toEqual(['e4', 'e2', 'e3', 'e1']);
    expect(wrapper.find('[data-test="event-row"][data-reason="e2-reason"]').attributes('data-type')).toBe('Warning');
  });

  it('filters by type and by search text', async () => {
    const { wrapper } = await mountApp(EventsView, { objects, path: '/events' });
    await wrapper.find('[data-test="events-type-Warning"]').trigger('click');
    expect(rowNames(wrapper)).toEqual(['e2']);
    expect(useUiStore().kubectlCommand).toContain('--field-selector type=Warning');
    await wrapper.find('[data-test="events-type-all"]').trigger('click');
    await wrapper.find('[data-test="events-search"]').setValue('node-a');
    expect(rowNames(wrapper)).toEqual(['e3']);
  });

  it('hides events of pods the label filter hides, keeping the others', async () => {
    const { wrapper } = await mountApp(EventsView, { objects, path: '/events' });
    useFilterStore().setText('tier=web');
    await wrapper.vm.$nextTick();
    expect(rowNames(wrapper)).toEqual(['e4', 'e3', 'e1']);
  });

  it('opens the involved pod in the detail panel', async () => {
    const { wrapper } = await mountApp(EventsView, { objects, path: '/events' });
    await wrapper.find('[data-test="event-row"][data-reason="e1-reason"] [data-test="event-object"]').trigger('click');
    expect(useUiStore().selection).toEqual({ kind: 'pod', namespace: 'default', name: 'web-1' });
  });
});
