import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LowdbStore } from '../store/lowdb-store.ts';
import { removeStoredData } from '../store/stored-data.ts';
import { storedClusterId } from './cluster-identity.ts';
import { dataPaths } from './data-paths.ts';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'kubelab-cluster-identity-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('storedClusterId', () => {
  it('is undefined for a directory without data', async () => {
    expect(await storedClusterId(dataDir)).toBeUndefined();
  });

  it('finds kube-system’s uid while it is only in the change log, with the store open or closed', async () => {
    const store = new LowdbStore({ file: dataPaths(dataDir).dataFile });
    await store.open();
    try {
      await store.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', uid: 'cluster-1234' } });
      // The snapshot is still the empty one written at open: the id is in the log alone.
      expect(readFileSync(dataPaths(dataDir).dataFile, 'utf8')).not.toContain('cluster-1234');
      expect(await storedClusterId(dataDir)).toBe('cluster-1234');
    } finally {
      await store.close();
    }
    expect(await storedClusterId(dataDir)).toBe('cluster-1234');
    await removeStoredData(dataDir);
    expect(await storedClusterId(dataDir)).toBeUndefined();
  });
});
