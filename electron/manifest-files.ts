import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import type { ManifestFile } from './bridge-api.ts';

// Reads what the user picked in File > Import manifests...: manifest files, or folders
// searched recursively for them. Names are shown in the import table, so a file found
// in a folder is named by its path from the folder's parent ("app/base/web.yaml").

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];
/** An import is read into the renderer at once; these keep a wrong folder (a home directory) from freezing it. */
export const MANIFEST_LIMITS = { files: 2_000, bytes: 32 * 1024 * 1024 };

export function isManifestFileName(name: string): boolean {
  return MANIFEST_EXTENSIONS.includes(extname(name).toLowerCase());
}

export async function readManifestFiles(paths: string[], limits = MANIFEST_LIMITS): Promise<ManifestFile[]> {
  const found: { path: string; name: string }[] = [];
  for (const path of paths) {
    const info = await stat(path);
    if (info.isDirectory()) await collect(path, dirname(path), found, limits);
    else if (isManifestFileName(path)) found.push({ path, name: basename(path) });
    else throw new Error(`${basename(path)} is not a manifest: choose .yaml, .yml or .json files`);
  }
  const files: ManifestFile[] = [];
  let bytes = 0;
  for (const { path, name } of found) {
    const text = await readFile(path, 'utf8');
    bytes += Buffer.byteLength(text);
    if (bytes > limits.bytes) throw new Error(`the manifests chosen exceed ${Math.round(limits.bytes / 1024 / 1024)} MiB: import fewer at a time`);
    files.push({ name, text });
  }
  return files;
}

async function collect(dir: string, base: string, found: { path: string; name: string }[], limits: typeof MANIFEST_LIMITS): Promise<void> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    // Hidden folders (.git) and dependencies are never manifests; symbolic links are not
    // followed, so a link loop cannot trap the walk.
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.isSymbolicLink()) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await collect(path, base, found, limits);
    } else if (entry.isFile() && isManifestFileName(entry.name)) {
      if (found.length >= limits.files) throw new Error(`more than ${limits.files} manifest files in ${base}: choose a smaller folder`);
      found.push({ path, name: relative(base, path).split(sep).join('/') });
    }
  }
}
