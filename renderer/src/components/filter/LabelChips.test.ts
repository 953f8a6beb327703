import { describe, expect, it } from 'vitest';
import { useFilterStore } from '../../stores/filter.ts';
import { useUiStore } from '../../stores/ui.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import LabelChips from './LabelChips.vue';

// The first mount transforms the router's lazily loaded view; allow for a busy machine.
describe('LabelChips', { timeout: 30_000 }, () => {
  it('renders key=value chips that add themselves to the filter and show the kubectl command', async () => {
    const { wrapper } = await mountApp(LabelChips, {}, { props: { labels: { tier: 'web', app: 'shop' } } });
    const filter = useFilterStore();
    filter.setText('env!=prod');
    const chips = wrapper.findAll('[data-test="label-chip"]');
    expect(chips.map((c) => c.text())).toEqual(['app=shop', 'tier=web']);
    await chips[1].trigger('click');
    expect(filter.active.text).toBe('env!=prod,tier=web');
    expect(filter.matches({ tier: 'web', env: 'dev' })).toBe(true);
    expect(useUiStore().kubectlCommand).toBe("kubectl get pods -l 'env!=prod,tier=web'");
  });

  it('renders nothing without labels', async () => {
    const { wrapper } = await mountApp(LabelChips, {}, { props: { labels: undefined } });
    expect(wrapper.findAll('[data-test="label-chip"]')).toHaveLength(0);
  });
});
