import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifestFiles } from './manifest-files.ts';

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'kubelab-manifests-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('readManifestFiles', () => {
  it('reads chosen files by their base name', async () => {
    const root = await tree({ 'a/web.yaml': 'kind: Pod', 'b/db.JSON': '{}' });
    expect(await readManifestFiles([join(root, 'a/web.yaml'), join(root, 'b/db.JSON')])).toEqual([
      { name: 'web.yaml', text: 'kind: Pod' },
      { name: 'db.JSON', text: '{}' },
    ]);
  });

  it('walks a folder recursively, keeping manifests only, named from the folder parent', async () => {
    const root = await tree({
      'app/web.yml': 'w',
      'app/base/svc.yaml': 's',
      'app/README.md': 'no',
      'app/.git/config.yaml': 'hidden',
      'app/node_modules/x/pkg.json': 'deps',
    });
    await symlink(join(root, 'app'), join(root, 'app/base/loop'));
    expect(await readManifestFiles([join(root, 'app')])).toEqual([
      { name: 'app/base/svc.yaml', text: 's' },
      { name: 'app/web.yml', text: 'w' },
    ]);
  });

  it('refuses a chosen file that is not a manifest', async () => {
    const root = await tree({ 'notes.txt': 'x' });
    await expect(readManifestFiles([join(root, 'notes.txt')])).rejects.toThrow('notes.txt is not a manifest');
  });

  it('refuses folders with too many files or too many bytes', async () => {
    const root = await tree({ 'm/a.yaml': '1234', 'm/b.yaml': '5678', 'm/c.yaml': '9' });
    await expect(readManifestFiles([join(root, 'm')], { files: 2, bytes: 1000 })).rejects.toThrow('more than 2 manifest files');
    await expect(readManifestFiles([join(root, 'm')], { files: 10, bytes: 6 })).rejects.toThrow('exceed');
  });
});
