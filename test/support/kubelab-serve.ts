import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { storedClusterId } from '../../core/cluster/cluster-identity.ts';
import { SERVE_LOGS_DIR } from './test-secrets.ts';

// Runs the real `kubelab serve` as a child process, the way a user does, and knows
// its URL, token file and kubeconfig.

export const REPO_ROOT = new URL('../..', import.meta.url).pathname;
export const KUBELAB_BIN = join(REPO_ROOT, 'bin/kubelab.mjs');

export interface ServeProcess {
  child: ChildProcess;
  /** https://127.0.0.1:PORT (what kubectl uses) */
  url: string;
  /** http://127.0.0.1:PORT, the same server without TLS (raw requests in tests) */
  httpUrl: string;
  kubeconfig: string;
  /** The GUI with the token in its fragment, when the renderer is built. */
  guiUrl: string | undefined;
  dataDir: string;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function tempDataDir(prefix = 'kubelab-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface StartServeOptions {
  /** Lead a process group of its own, so a test can signal the whole group (process.kill(-pid)). */
  detached?: boolean;
  /** KUBELAB_LOG for the process; warn unless a test reads the logs themselves. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** Spawns at once (in the caller's tick) when dataDir is given. */
export async function startServe(dataDir?: string, extraArgs: string[] = [], options: StartServeOptions = {}): Promise<ServeProcess> {
  const dir = dataDir ?? (await tempDataDir());
  const child = spawn(process.execPath, [KUBELAB_BIN, 'serve', '--data-dir', dir, ...extraArgs], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
    env: { ...process.env, KUBELAB_LOG: options.logLevel ?? 'warn' },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  // Kept for test/scan-logs-for-secrets.ts, which reads every serve's log after the suite.
  void exited.then(async () => {
    await mkdir(SERVE_LOGS_DIR, { recursive: true });
    await writeFile(join(SERVE_LOGS_DIR, `${basename(dir)}-${child.pid}.log`), out);
  }).catch(() => undefined);
  const ready = await new Promise<{ url: string; httpUrl: string; kubeconfig: string; guiUrl: string | undefined }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kubelab serve did not start in 60s:\n${out}`)), 60_000);
    const check = () => {
      const url = /API:\s+(\S+)/.exec(out)?.[1];
      const httpUrl = /HTTP:\s+(\S+)/.exec(out)?.[1];
      const kubeconfig = /kubeconfig:\s+(\S+)/.exec(out)?.[1];
      if (url && httpUrl && kubeconfig) {
        clearTimeout(timer);
        resolve({ url, httpUrl, kubeconfig, guiUrl: /GUI:\s+(\S+)/.exec(out)?.[1] });
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`kubelab serve exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    dataDir: dir,
    ...ready,
    output: () => out,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      await removeClusterContainers(dir);
      return code;
    },
  };
}

/**
 * Node agents leave containers running when the app stops (a restart adopts them); a
 * test run must not leave them behind, so stop() removes this cluster's containers
 * and volumes (labelled with its id, kube-system's uid) from the local daemon.
 */
async function removeClusterContainers(dataDir: string): Promise<void> {
  const clusterId = await storedClusterId(dataDir);
  if (!clusterId) return;
  const docker = (args: string[]) => new Promise<string>((resolve) => execFile('docker', args, (_e, out) => resolve(out ?? '')));
  const ids = (await docker(['ps', '-aq', '--filter', `label=io.kubelab.cluster=${clusterId}`])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
  const volumes = (await docker(['volume', 'ls', '-q', '--filter', `label=io.kubelab.cluster=${clusterId}`])).split('\n').filter(Boolean);
  if (volumes.length) await docker(['volume', 'rm', '-f', ...volumes]);
}
