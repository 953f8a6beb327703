import { defineStore } from 'pinia';
import { ref, watch } from 'vue';

// What the GUI itself remembers: theme, language, the detail panel that is open, the
// toasts (with an optional undo), and the kubectl command of the latest action, which
// the hint bar shows so a learner sees how to do the same from a terminal.

export type Theme = 'light' | 'dark';
export type Locale = 'en' | 'zh';

export interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
  /** Label and action of a button on the toast (Undo). */
  action?: { label: string; run: () => void | Promise<void> };
}

export type Selection = { kind: 'pod'; namespace: string; name: string } | { kind: 'node'; name: string } | undefined;

const TOAST_MS = 8000;

export function systemLocale(languages: readonly string[]): Locale {
  return languages.some((language) => language.toLowerCase().startsWith('zh')) ? 'zh' : 'en';
}

export const useUiStore = defineStore('ui', () => {
  const storage = typeof localStorage === 'undefined' ? undefined : localStorage;
  const prefersDark = typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;
  const theme = ref<Theme>((storage?.getItem('kubelab.theme') as Theme | null) ?? (prefersDark ? 'dark' : 'light'));
  const locale = ref<Locale>(
    (storage?.getItem('kubelab.locale') as Locale | null) ?? systemLocale(typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language]),
  );
  const selection = ref<Selection>();
  const toasts = ref<Toast[]>([]);
  /** The kubectl command equivalent to the latest GUI action. */
  const kubectlCommand = ref<string | undefined>();
  let nextToastId = 1;

  watch(theme, (value) => storage?.setItem('kubelab.theme', value));
  watch(locale, (value) => storage?.setItem('kubelab.locale', value));

  function toast(message: string, options: Partial<Omit<Toast, 'id' | 'message'>> = {}): number {
    const id = nextToastId++;
    toasts.value = [...toasts.value, { id, message, kind: options.kind ?? 'info', action: options.action }];
    setTimeout(() => dismiss(id), TOAST_MS);
    return id;
  }

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id);
  }

  /** Every GUI action calls this with the kubectl command that does the same. */
  function showKubectl(command: string): void {
    kubectlCommand.value = command;
  }

  function select(next: Selection): void {
    selection.value = next;
  }

  return { theme, locale, selection, toasts, kubectlCommand, toast, dismiss, showKubectl, select };
});
