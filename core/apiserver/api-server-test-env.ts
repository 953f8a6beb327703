import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import { LowdbStore } from '../store/lowdb-store.ts';
import { startApiServer, type RunningApiServer } from './api-server.ts';
import { ensureSystemNamespaces } from './bootstrap-namespaces.ts';
import { ResourceService } from './resource-service.ts';

// Test support (never packaged: electron-builder leaves out *-test-*.ts): the real API
// server in-process over a fresh store in a temp directory, with the system namespaces,
// and a client for it.

export interface TestApiServer {
  store: LowdbStore;
  server: RunningApiServer;
  client: RestClient;
  close(): Promise<void>;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function startTestApiServer(prefix: string): Promise<TestApiServer> {
  const token = `${prefix}-token-0123456789abcdef`;
  const store = new LowdbStore({ file: join(await mkdtemp(join(tmpdir(), `${prefix}-`)), 'data.json') });
  await store.open();
  await ensureSystemNamespaces(new ResourceService(store));
  const server = await startApiServer({ store, token, logger: silent });
  const client = new RestClient({ server: server.httpUrl, token });
  return {
    store,
    server,
    client,
    async close() {
      await server.close();
      await store.close();
    },
  };
}
