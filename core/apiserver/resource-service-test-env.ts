import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { findByPlural } from '../api/resource-catalog.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { ResourceService } from './resource-service.ts';

// Test support (never packaged: electron-builder leaves out *-test-*.ts): a fresh
// ResourceService over a LowdbStore in a temporary directory for each test, with the
// default namespace made.

export interface ResourceServiceEnv {
  store: LowdbStore;
  service: ResourceService;
}

export function useResourceService(prefix: string): ResourceServiceEnv {
  const env = {} as ResourceServiceEnv;
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    env.store = new LowdbStore({ file: join(dir, 'data.json') });
    await env.store.open();
    env.service = new ResourceService(env.store);
    await env.service.create({ info: findByPlural('', 'v1', 'namespaces')!, namespace: '', name: '', subresource: '' }, { metadata: { name: 'default' } });
  });
  afterEach(async () => {
    await env.store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return env;
}
