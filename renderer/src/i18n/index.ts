import { createI18n } from 'vue-i18n';
import type { Locale } from '../stores/ui.ts';

// English and Simplified Chinese. Each area of the GUI keeps its strings in its own file
// under messages/ (`export default { en: { area: {...} }, zh: { area: {...} } }`), merged here.

// Nested objects of strings, one tree per locale.
interface MessageTree {
  [key: string]: string | MessageTree;
}
type Messages = Record<Locale, MessageTree>;

const modules = import.meta.glob<{ default: Messages }>('./messages/*.ts', { eager: true });

export function mergedMessages(): Messages {
  const merged: Messages = { en: {}, zh: {} };
  for (const module of Object.values(modules)) {
    for (const locale of ['en', 'zh'] as const) Object.assign(merged[locale], module.default[locale]);
  }
  return merged;
}

export function createKubelabI18n(locale: Locale) {
  return createI18n({ legacy: false, locale, fallbackLocale: 'en', messages: mergedMessages() });
}
