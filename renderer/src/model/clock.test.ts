import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, nextTick } from 'vue';

// Every age on screen follows one clock: a component showing one re-renders as time
// passes, with no event and no timer of its own.

afterEach(() => {
  vi.useRealTimers();
});

describe('the shared clock', () => {
  it('moves every age shown, once a second, from one timer', async () => {
    vi.useFakeTimers({ now: Date.parse('2024-05-01T10:00:00Z') });
    const { ageSince } = await import('./clock.ts');
    const Age = defineComponent({ props: { since: { type: String, required: true } }, setup: (props) => () => h('span', ageSince(props.since)) });
    const first = mount(Age, { props: { since: '2024-05-01T09:59:00Z' } });
    const timers = vi.getTimerCount();
    const second = mount(Age, { props: { since: '2024-05-01T09:58:30Z' } });
    expect([first.text(), second.text()]).toEqual(['60s', '90s']);
    expect(vi.getTimerCount()).toBe(timers); // a second age adds no timer

    vi.advanceTimersByTime(2000);
    await nextTick();
    expect([first.text(), second.text()]).toEqual(['62s', '92s']);
    expect(vi.getTimerCount()).toBe(timers); // a second age adds no timer
  });
});
