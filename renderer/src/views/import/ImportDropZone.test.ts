import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RestClient } from '../../../../core/client/rest-client.ts';
import { useImportStore } from '../../stores/import.ts';
import { mountApp } from '../../test-support/mount-app.ts';
import ImportDropZone from './ImportDropZone.vue';

// Drops are simulated with DataTransfer-like objects: a folder entry (read in batches, as
// Chromium does) holding manifests and a file that is not one.

const CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\n';

function fakeFile(name: string, text: string) {
  return { name, text: async () => text };
}

function fileEntry(path: string, text: string) {
  const name = path.split('/').pop()!;
  return { isFile: true, isDirectory: false, name, fullPath: `/${path}`, file: (resolve: (file: unknown) => void) => resolve(fakeFile(name, text)) };
}

function directoryEntry(path: string, children: unknown[]) {
  return {
    isFile: false,
    isDirectory: true,
    name: path.split('/').pop()!,
    fullPath: `/${path}`,
    createReader: () => {
      const batches = [children.slice(0, 1), children.slice(1), []];
      return { readEntries: (resolve: (entries: unknown[]) => void) => resolve(batches.shift() ?? []) };
    },
  };
}

function dragEvent(type: string, transfer: unknown): Event {
  const event = new Event(type, { bubbles: true, cancelable: true });
  Object.defineProperty(event, 'dataTransfer', { value: transfer });
  return event;
}

/** A client whose server knows no objects and accepts every dry-run create. */
function acceptingClient(): RestClient {
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
    if (init?.method === 'GET') return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${String(input)} not found` });
    return json(201, JSON.parse(String(init?.body)));
  };
  return new RestClient({ server: 'http://127.0.0.1:1', fetch: fetch as typeof globalThis.fetch });
}

describe('ImportDropZone', () => {
  let unmount: (() => void) | undefined;
  afterEach(() => unmount?.());

  it('shows an overlay while files are dragged over the window, and not for text', async () => {
    const { wrapper } = await mountApp(ImportDropZone, { path: '/map', client: acceptingClient() });
    unmount = () => wrapper.unmount();
    window.dispatchEvent(dragEvent('dragenter', { types: ['text/plain'] }));
    await flushPromises();
    expect(wrapper.find('[data-test="import-drop-overlay"]').exists()).toBe(false);
    window.dispatchEvent(dragEvent('dragenter', { types: ['Files'] }));
    await flushPromises();
    expect(wrapper.find('[data-test="import-drop-overlay"]').exists()).toBe(true);
    window.dispatchEvent(dragEvent('dragleave', { types: ['Files'] }));
    await flushPromises();
    expect(wrapper.find('[data-test="import-drop-overlay"]').exists()).toBe(false);
  });

  it('puts the dropped manifests (folders walked) in the import store, opens /import and dry-runs them', async () => {
    const { wrapper, router } = await mountApp(ImportDropZone, { path: '/map', client: acceptingClient() });
    unmount = () => wrapper.unmount();
    const folder = directoryEntry('app', [
      fileEntry('app/b.yaml', CONFIGMAP.replace('NAME', 'b')),
      fileEntry('app/notes.txt', 'not a manifest'),
      directoryEntry('app/nested', [fileEntry('app/nested/c.json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }))]),
    ]);
    const transfer = {
      types: ['Files'],
      items: [
        { kind: 'file', webkitGetAsEntry: () => fileEntry('a.yml', CONFIGMAP.replace('NAME', 'a')), getAsFile: () => null },
        { kind: 'file', webkitGetAsEntry: () => folder, getAsFile: () => null },
      ],
      files: [],
    };
    const drop = dragEvent('drop', transfer);
    window.dispatchEvent(drop);
    expect(drop.defaultPrevented).toBe(true);
    await flushPromises();

    const importStore = useImportStore();
    expect(importStore.files.map((file) => file.name)).toEqual(['a.yml', 'app/b.yaml', 'app/nested/c.json']);
    // The route's view loads on demand, so navigation takes a moment.
    await vi.waitUntil(() => router.currentRoute.value.path === '/import' && importStore.phase === 'planned', { timeout: 5000 });
    expect(importStore.rows.map((row) => [row.file, row.name, row.action])).toEqual([
      ['a.yml', 'a', 'create'],
      ['app/b.yaml', 'b', 'create'],
      ['app/nested/c.json', 'c', 'create'],
    ]);
  });

  it('falls back to dataTransfer.files when entries are not available', async () => {
    const { wrapper } = await mountApp(ImportDropZone, { path: '/map', client: acceptingClient() });
    unmount = () => wrapper.unmount();
    window.dispatchEvent(dragEvent('drop', { types: ['Files'], items: [], files: [fakeFile('x.yaml', CONFIGMAP.replace('NAME', 'x')), fakeFile('y.png', '')] }));
    await flushPromises();
    expect(useImportStore().files.map((file) => file.name)).toEqual(['x.yaml']);
  });
});
