import type { ManifestSource } from '../../../../core/manifest/split-documents.ts';

// Reads what a user dropped on the window: files, and folders walked recursively
// (webkitGetAsEntry, which every browser and Electron support), keeping manifests only.

const MANIFEST_NAME = /\.(ya?ml|json)$/i;

export function isManifestName(name: string): boolean {
  return MANIFEST_NAME.test(name);
}

/** True when a drag carries files (not text dragged from the page). */
export function dragHasFiles(transfer: Pick<DataTransfer, 'types'> | null | undefined): boolean {
  return !!transfer && Array.from(transfer.types ?? []).includes('Files');
}

/** The manifest files in a drop, sorted by path. */
export async function readDroppedManifests(transfer: Pick<DataTransfer, 'items' | 'files'>): Promise<ManifestSource[]> {
  // Entries must be taken while the drop event runs: the browser empties the DataTransfer after it.
  const entries: FileSystemEntry[] = [];
  const looseFiles: File[] = [];
  for (const item of Array.from(transfer.items ?? [])) {
    if (item.kind !== 'file') continue;
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) looseFiles.push(file);
    }
  }
  if (!entries.length && !looseFiles.length) looseFiles.push(...Array.from(transfer.files ?? []));

  const found: { path: string; file: File }[] = looseFiles.map((file) => ({ path: file.name, file }));
  for (const entry of entries) found.push(...(await filesUnder(entry)));
  const manifests = found.filter(({ path }) => isManifestName(path)).sort((a, b) => a.path.localeCompare(b.path));
  return Promise.all(manifests.map(async ({ path, file }) => ({ name: path, text: await file.text() })));
}

/** Manifest files from an <input type="file"> (or any FileList). */
export async function readManifestFiles(files: Iterable<File>): Promise<ManifestSource[]> {
  const manifests = Array.from(files).filter((file) => isManifestName(file.name));
  return Promise.all(manifests.map(async (file) => ({ name: file.name, text: await file.text() })));
}

async function filesUnder(entry: FileSystemEntry): Promise<{ path: string; file: File }[]> {
  const path = entry.fullPath.replace(/^\//, '') || entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path, file }];
  }
  if (!entry.isDirectory) return [];
  const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
  const nested = await Promise.all(children.map(filesUnder));
  return nested.flat();
}

/** readEntries answers in batches (100 in Chromium) until it answers an empty one. */
async function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return all;
    all.push(...batch);
  }
}
