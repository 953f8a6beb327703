import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

// Helpers of the virtualised lists: which element scrolls them, and how wide an element
// is (kept current as the window resizes).

/** The nearest ancestor that scrolls vertically; the document's scroller when none does. */
export function scrollParentOf(element: HTMLElement): HTMLElement {
  for (let node = element.parentElement; node; node = node.parentElement) {
    const overflow = getComputedStyle(node).overflowY;
    if (overflow === 'auto' || overflow === 'scroll' || overflow === 'overlay') return node;
  }
  return (document.scrollingElement as HTMLElement | null) ?? document.documentElement;
}

/** The content width of `target`, updated when it resizes. */
export function useElementWidth(target: Ref<HTMLElement | null>): Ref<number> {
  const width = ref(0);
  let observer: ResizeObserver | undefined;
  onMounted(() => {
    const element = target.value;
    if (!element) return;
    width.value = element.clientWidth;
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => (width.value = element.clientWidth));
      observer.observe(element);
    }
  });
  onBeforeUnmount(() => observer?.disconnect());
  return width;
}
