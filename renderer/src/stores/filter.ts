import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { LabelSelectorParseError, parseLabelSelector, type LabelSelector } from '../../../core/api/label-selector.ts';

// The label filter shared by the map and every list: kubectl's selector syntax, parsed
// by the same code the API server uses. A text that does not parse shows its error and
// leaves the last good selector in force. The router keeps `text` in the URL (?selector=).

export const useFilterStore = defineStore('filter', () => {
  const text = ref('');
  const error = ref<string | undefined>();
  const active = ref<{ text: string; selector: LabelSelector | undefined }>({ text: '', selector: undefined });

  /** Sets the typed text; returns false (and keeps the previous filter) when it does not parse. */
  function setText(next: string): boolean {
    text.value = next;
    const trimmed = next.trim();
    if (!trimmed) {
      active.value = { text: '', selector: undefined };
      error.value = undefined;
      return true;
    }
    try {
      active.value = { text: trimmed, selector: parseLabelSelector(trimmed) };
      error.value = undefined;
      return true;
    } catch (e) {
      error.value = e instanceof LabelSelectorParseError || e instanceof Error ? e.message : String(e);
      return false;
    }
  }

  function matches(labels: Record<string, string> | undefined | null): boolean {
    return active.value.selector ? active.value.selector.matches(labels ?? {}) : true;
  }

  /** Adds `key=value` to the filter (label chips). */
  function addRequirement(key: string, value: string): void {
    const requirement = `${key}=${value}`;
    const parts = active.value.text ? active.value.text.split(/,(?![^()]*\))/).map((p) => p.trim()) : [];
    if (!parts.includes(requirement)) setText([...parts, requirement].join(','));
  }

  const isActive = computed(() => active.value.selector !== undefined);
  return { text, error, active, isActive, setText, matches, addRequirement };
});
