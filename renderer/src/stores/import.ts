import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { ApplyOutcome, ApplyResult } from '../../../core/manifest/apply-import.ts';
import type { PlanRow } from '../../../core/manifest/plan-import.ts';
import type { ManifestSource } from '../../../core/manifest/split-documents.ts';
import { apiClient } from '../api/connection.ts';
import { useUiStore } from './ui.ts';

// Manifest import: the files queued (dropped, picked, or from File > Import), the text
// pasted in the editor, the namespace for documents that name none, and the server's
// dry-run plan, then the apply with its progress. The dry run and the apply are the
// browser-safe core/manifest modules; this store only holds their state. They (and the
// YAML parser) load on first use: the drop zone that uses this store is on every page.

export type ImportPhase = 'idle' | 'planning' | 'planned' | 'applying' | 'done';

/** The name the editor's text carries in the plan (shown translated by the view). */
export const EDITOR_SOURCE = 'editor';

export const useImportStore = defineStore('import', () => {
  const ui = useUiStore();
  const files = ref<ManifestSource[]>([]);
  const editorText = ref('');
  const namespace = ref('default');
  // Rows are replaced whole, never edited in place: no deep reactivity over big objects.
  const rows = shallowRef<PlanRow[]>([]);
  const results = shallowRef<ReadonlyMap<number, ApplyResult>>(new Map());
  const phase = ref<ImportPhase>('idle');
  const progress = ref({ done: 0, total: 0 });
  /** A failure of the import itself (the API unreachable), not of one document. */
  const error = ref<string | undefined>();
  // Bumped by every new dry run or reset, so a slow older run never overwrites a newer one.
  let generation = 0;

  const sources = computed<ManifestSource[]>(() => [
    ...files.value,
    ...(editorText.value.trim() ? [{ name: EDITOR_SOURCE, text: editorText.value }] : []),
  ]);
  const busy = computed(() => phase.value === 'planning' || phase.value === 'applying');
  const canDryRun = computed(() => !busy.value && sources.value.length > 0);
  const canApply = computed(() => phase.value === 'planned' && rows.value.some((row) => row.action === 'create' || row.action === 'update'));
  const counts = computed(() => countBy(rows.value.map((row) => row.action)));
  const outcomes = computed(() => countBy([...results.value.values()].map((result) => result.outcome)) as Partial<Record<ApplyOutcome, number>>);

  // A plan describes the text it was made from: editing the text or the namespace voids it.
  watch([editorText, namespace], () => {
    if (phase.value === 'planned' || phase.value === 'done') clearPlan();
  });

  function clearPlan(): void {
    generation++;
    rows.value = [];
    results.value = new Map();
    progress.value = { done: 0, total: 0 };
    error.value = undefined;
    phase.value = 'idle';
  }

  /** Files from a drop, the file picker or the app menu: they replace the queued files and are dry-run at once. */
  async function receiveFiles(received: ManifestSource[], options: { dryRun?: boolean } = {}): Promise<void> {
    files.value = [...received];
    clearPlan();
    if (options.dryRun !== false && received.length) await dryRun();
  }

  function removeFile(name: string): void {
    files.value = files.value.filter((file) => file.name !== name);
    clearPlan();
  }

  async function dryRun(): Promise<void> {
    if (!sources.value.length) return;
    const run = ++generation;
    const planned = sources.value;
    ui.showKubectl(kubectlApply(planned, namespace.value, true));
    rows.value = [];
    results.value = new Map();
    error.value = undefined;
    progress.value = { done: 0, total: 0 };
    phase.value = 'planning';
    try {
      const [{ splitDocuments }, { planImport }] = await Promise.all([
        import('../../../core/manifest/split-documents.ts'),
        import('../../../core/manifest/plan-import.ts'),
      ]);
      const documents = planned.flatMap((source) => splitDocuments(source));
      if (run === generation) progress.value = { done: 0, total: documents.length };
      const plan = await planImport(apiClient(), documents, {
        namespace: namespace.value,
        onProgress: (done, total) => {
          if (run === generation) progress.value = { done, total };
        },
      });
      if (run !== generation) return;
      rows.value = plan;
      phase.value = 'planned';
    } catch (e) {
      if (run !== generation) return;
      error.value = e instanceof Error ? e.message : String(e);
      phase.value = 'idle';
    }
  }

  /** Applies every document the dry run accepted; rows with errors are skipped. */
  async function apply(): Promise<void> {
    if (!canApply.value) return;
    const run = ++generation;
    ui.showKubectl(kubectlApply(sources.value, namespace.value, false));
    phase.value = 'applying';
    progress.value = { done: 0, total: rows.value.length };
    const finished = new Map<number, ApplyResult>();
    try {
      const { applyImport } = await import('../../../core/manifest/apply-import.ts');
      await applyImport(apiClient(), rows.value, {
        onProgress: (result, done, total) => {
          if (run !== generation) return;
          finished.set(result.index, result);
          results.value = new Map(finished);
          progress.value = { done, total };
        },
      });
    } catch (e) {
      if (run === generation) error.value = e instanceof Error ? e.message : String(e);
    }
    if (run === generation) phase.value = 'done';
  }

  function reset(): void {
    files.value = [];
    editorText.value = '';
    namespace.value = 'default';
    clearPlan();
  }

  return {
    files,
    editorText,
    namespace,
    rows,
    results,
    phase,
    progress,
    error,
    sources,
    busy,
    canDryRun,
    canApply,
    counts,
    outcomes,
    receiveFiles,
    removeFile,
    dryRun,
    apply,
    reset,
  };
});

/** `kubectl apply -f a.yaml -f - -n shop --dry-run=server`: the editor's text is stdin. */
export function kubectlApply(sources: readonly ManifestSource[], namespace: string, dryRun: boolean): string {
  const parts = ['kubectl apply'];
  for (const source of sources) parts.push(`-f ${source.name === EDITOR_SOURCE ? '-' : shellQuote(source.name)}`);
  if (namespace && namespace !== 'default') parts.push(`-n ${shellQuote(namespace)}`);
  if (dryRun) parts.push('--dry-run=server');
  return parts.join(' ');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function countBy<K extends string>(keys: K[]): Partial<Record<K, number>> {
  const counts: Partial<Record<K, number>> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
