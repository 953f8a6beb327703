import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { useFilterStore } from './filter.ts';

describe('label filter store', () => {
  beforeEach(() => setActivePinia(createPinia()));

  it('applies set-based and equality selectors as kubectl does', () => {
    const filter = useFilterStore();
    expect(filter.setText('tier in (web),!canary')).toBe(true);
    expect(filter.matches({ tier: 'web' })).toBe(true);
    expect(filter.matches({ tier: 'web', canary: 'true' })).toBe(false);
    expect(filter.matches({ tier: 'api' })).toBe(false);
  });

  it('keeps the last good selector and reports the error when the text does not parse', () => {
    const filter = useFilterStore();
    filter.setText('tier=web');
    expect(filter.setText('tier in (web')).toBe(false);
    expect(filter.error).toBeTruthy();
    expect(filter.active.text).toBe('tier=web');
    expect(filter.matches({ tier: 'api' })).toBe(false);
  });

  it('adds a clicked label to the filter once', () => {
    const filter = useFilterStore();
    filter.setText('tier in (web,api)');
    filter.addRequirement('app', 'shop');
    filter.addRequirement('app', 'shop');
    expect(filter.active.text).toBe('tier in (web,api),app=shop');
  });
});
