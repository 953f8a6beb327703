import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../../../core/api/kube-object.ts';
import { useFilterStore } from '../../stores/filter.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import SelectorBar from './SelectorBar.vue';

const pod = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels } });
const deployment = (name: string, labels: Record<string, string>): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default', labels } });

const objects = {
  pods: [pod('web-1', { tier: 'web', app: 'shop' }), pod('web-2', { tier: 'web', app: 'shop', canary: 'true' }), pod('api-1', { tier: 'api', app: 'shop' })],
  deployments: [deployment('web', { tier: 'web' }), deployment('api', { tier: 'api' })],
};

async function mountBar() {
  const mounted = await mountApp(SelectorBar, { objects }, { attachTo: document.body });
  return { ...mounted, input: mounted.wrapper.find('[data-test="selector-input"]'), filter: useFilterStore(), ui: useUiStore() };
}

// The first mount transforms the router's lazily loaded view; allow for a busy machine.
describe('SelectorBar', { timeout: 30_000 }, () => {
  afterEach(() => {
    vi.useRealTimers();
    document.body.innerHTML = '';
  });

  it('applies the selector on Enter and shows the count of matching pods and workloads', async () => {
    const { wrapper, input, filter, ui } = await mountBar();
    expect(wrapper.find('[data-test="selector-count"]').exists()).toBe(false);
    await input.setValue('tier in (web),!canary');
    await input.trigger('keydown', { key: 'Enter' });
    expect(filter.active.text).toBe('tier in (web),!canary');
    const count = wrapper.find('[data-test="selector-count"]');
    expect(count.attributes('data-pods')).toBe('1');
    expect(count.attributes('data-workloads')).toBe('1');
    expect(count.text()).toBe('1 pod · 1 workload');
    expect(ui.kubectlCommand).toBe("kubectl get pods -l 'tier in (web),!canary'");
  });

  it('applies the selector after a pause in typing', async () => {
    vi.useFakeTimers();
    const { input, filter } = await mountBar();
    await input.setValue('app=shop');
    expect(filter.active.text).toBe('');
    vi.runOnlyPendingTimers();
    expect(filter.active.text).toBe('app=shop');
  });

  it('keeps the last good filter and shows the parse error with its position', async () => {
    const { wrapper, input, filter } = await mountBar();
    await input.setValue('tier=web');
    await input.trigger('keydown', { key: 'Enter' });
    await input.setValue('tier in (web');
    await input.trigger('keydown', { key: 'Enter' });
    const error = wrapper.find('[data-test="selector-error"]');
    expect(error.exists()).toBe(true);
    expect(error.text()).toContain(filter.error);
    expect(error.find('mark').exists()).toBe(true);
    expect(filter.active.text).toBe('tier=web');
    expect(wrapper.find('[data-test="selector-count"]').attributes('data-pods')).toBe('2');
    expect(input.attributes('aria-invalid')).toBe('true');
  });

  it('suggests keys, then values after an operator, and takes one with the keyboard', async () => {
    const { wrapper, input } = await mountBar();
    await input.trigger('focus');
    await input.setValue('ti');
    let items = wrapper.findAll('[data-test="selector-suggestion"]');
    expect(items.map((i) => i.find('.text').text())).toEqual(['tier']);
    await input.setValue('tier=');
    items = wrapper.findAll('[data-test="selector-suggestion"]');
    expect(items.map((i) => i.find('.text').text())).toEqual(['web', 'api']);
    await input.trigger('keydown', { key: 'ArrowDown' });
    await input.trigger('keydown', { key: 'ArrowDown' });
    expect(wrapper.findAll('[data-test="selector-suggestion"]')[1].attributes('aria-selected')).toBe('true');
    await input.trigger('keydown', { key: 'Enter' });
    expect((input.element as HTMLInputElement).value).toBe('tier=api');
    await input.trigger('keydown', { key: 'Escape' });
    expect(input.attributes('aria-expanded')).toBe('false');
  });

  it('shows a filter applied elsewhere (chips, URL) in the input, and clears it', async () => {
    const { wrapper, input, filter } = await mountBar();
    filter.addRequirement('app', 'shop');
    await flushPromises();
    expect((input.element as HTMLInputElement).value).toBe('app=shop');
    await wrapper.find('[data-test="selector-clear"]').trigger('click');
    expect(filter.isActive).toBe(false);
    expect((input.element as HTMLInputElement).value).toBe('');
  });
});
