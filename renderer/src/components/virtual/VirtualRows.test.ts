import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, h, nextTick, ref } from 'vue';
import VirtualRows from './VirtualRows.vue';

// happy-dom lays nothing out: the scroller is 800 px tall and the list starts 200 px
// down its content (under a header), wherever the scroller is scrolled to.
const VIEWPORT = 800;
const ABOVE = 200;
const ROW = 40;

let scroller: HTMLElement | undefined;

beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(VIEWPORT);
  vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(1000);
  vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockImplementation(function (this: HTMLElement) {
    const top = this.classList.contains('virtual-rows') ? ABOVE - (scroller?.scrollTop ?? 0) : 0;
    return new DOMRect(0, top, 1000, 0);
  });
});
afterEach(() => {
  scroller = undefined;
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

function mountList(names: () => string[], trackWindow = false) {
  const list = ref(names());
  const Harness = defineComponent({
    setup: () => () =>
      h('div', { 'data-test': 'scroller', style: 'overflow-y: auto; height: 800px' }, [
        h('header', { style: `height: ${ABOVE}px` }),
        h(
          VirtualRows,
          { count: list.value.length, estimateSize: () => ROW, itemKey: ((rows: string[]) => (index: number) => rows[index])(list.value), trackWindow },
          {
            default: ({ index, windowStart, windowEnd }: { index: number; windowStart: number; windowEnd: number }) =>
              h('div', { 'data-test': 'row', 'data-name': list.value[index], 'data-window': `${windowStart}..${windowEnd}`, style: `height: ${ROW}px` }, list.value[index]),
          },
        ),
      ]),
  });
  const wrapper = mount(Harness, { attachTo: document.body });
  scroller = wrapper.find('[data-test="scroller"]').element as HTMLElement;
  return { wrapper, list };
}

const rendered = (wrapper: ReturnType<typeof mount>) => wrapper.findAll('[data-test="row"]').map((row) => row.attributes('data-name'));

async function scrollTo(top: number): Promise<void> {
  scroller!.scrollTop = top;
  scroller!.dispatchEvent(new Event('scroll'));
  await nextTick();
  await nextTick();
}

const names = (count: number, prefix = 'row') => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe('VirtualRows', () => {
  it('renders only the rows in view (and a few more), in a box as tall as all of them', async () => {
    const { wrapper } = mountList(() => names(10_000));
    await nextTick();
    const rows = rendered(wrapper);
    // 600 px of list in view at 40 px a row: 15 rows, plus the overscan.
    expect(rows[0]).toBe('row-0');
    expect(rows.length).toBeGreaterThanOrEqual(15);
    expect(rows.length).toBeLessThan(40);
    expect((wrapper.find('.virtual-rows').element as HTMLElement).style.height).toBe(`${10_000 * ROW}px`);
  });

  it('follows the scroller, counting where the list starts in it', async () => {
    const { wrapper } = mountList(() => names(10_000));
    await nextTick();
    await scrollTo(ABOVE + 5000 * ROW);
    const rows = rendered(wrapper);
    expect(rows).toContain('row-5000');
    expect(rows).toContain('row-5019');
    expect(rows).not.toContain('row-0');
    expect(rows.length).toBeLessThan(40);
    const first = wrapper.find('[data-name="row-5000"]').element.parentElement as HTMLElement;
    expect(first.style.transform).toBe(`translateY(${5000 * ROW}px)`);
  });

  it('tells each row which part of it is in view when asked to', async () => {
    const { wrapper } = mountList(() => names(100), true);
    await nextTick();
    await scrollTo(ABOVE + 10 * ROW + 15);
    expect(wrapper.find('[data-name="row-10"]').attributes('data-window')).toBe(`15..${15 + VIEWPORT}`);
    expect(wrapper.find('[data-name="row-11"]').attributes('data-window')).toBe(`${15 - ROW}..${15 - ROW + VIEWPORT}`);
  });

  it('shows new rows when the list changes under the same count', async () => {
    const { wrapper, list } = mountList(() => names(1000));
    await nextTick();
    list.value = names(1000, 'other');
    await nextTick();
    await nextTick();
    expect(rendered(wrapper)[0]).toBe('other-0');
    expect(rendered(wrapper).every((name) => name?.startsWith('other-'))).toBe(true);
  });
});
