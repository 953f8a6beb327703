import { spawn, type SpawnOptions } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { displayProblem, electronBinaryPath } from './electron-availability.ts';

// What `npm start` does (electron/start.mjs): open the desktop app when Electron can
// run here, fetching its binary on first use; otherwise say why in one line and run
// `kubelab serve`, which prints the URL to open in a browser. Arguments go to both
// (main.ts understands --data-dir and --no-local-node).

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ELECTRON_PACKAGE = join(ROOT, 'node_modules/electron');
const DOWNLOAD_TIMEOUT_MS = 60_000;

export async function launch(args: string[]): Promise<number> {
  const noDisplay = displayProblem(process.platform, process.env);
  if (noDisplay) return serveInstead(noDisplay, args);

  let binary = electronBinaryPath(ELECTRON_PACKAGE);
  if (!binary) {
    if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return serveInstead('the Electron binary is not installed and ELECTRON_SKIP_BINARY_DOWNLOAD is set', args);
    console.log(`kubelab: downloading Electron (first run, up to ${DOWNLOAD_TIMEOUT_MS / 1000} s)...`);
    // Its error (a stack trace) is summed up in the one line below rather than shown.
    const outcome = await run(process.execPath, [join(ELECTRON_PACKAGE, 'install.js')], { stdio: ['ignore', 'ignore', 'pipe'], timeout: DOWNLOAD_TIMEOUT_MS });
    binary = electronBinaryPath(ELECTRON_PACKAGE);
    if (!binary) return serveInstead(`the Electron binary could not be downloaded (${outcome})`, args);
  }

  if ((await run(process.execPath, [join(ROOT, 'electron/build.mjs')], { stdio: 'inherit' })) !== 'exit code 0') {
    console.error('kubelab: building the Electron main process failed (see above)');
    return 1;
  }
  // The renderer is built (when its sources changed) by the control plane itself, as for `kubelab serve`.
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // set, it would make Electron a plain Node
  return forward(binary, [join(ROOT, 'dist/electron/main.js'), ...args], env);
}

function serveInstead(reason: string, args: string[]): Promise<number> {
  console.log(`kubelab: the desktop app cannot start because ${reason}; running \`kubelab serve\` instead: open the URL it prints in a browser.`);
  return forward(process.execPath, [join(ROOT, 'bin/kubelab.mjs'), 'serve', ...args], process.env);
}

/** Runs a child with this terminal; resolves with its exit code. SIGTERM is passed on. */
function forward(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(command, args, { stdio: 'inherit', env, cwd: ROOT });
  // Ctrl+C already reaches the child (same process group); a second SIGINT would cut its
  // clean shutdown short, so only SIGTERM and SIGHUP are passed on.
  const pass = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onTerm = pass('SIGTERM');
  const onHup = pass('SIGHUP');
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onHup);
  process.on('SIGINT', ignore);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      console.error(`kubelab: could not run ${command}: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      process.off('SIGINT', ignore);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

function ignore(): void {}

/**
 * Runs a child to completion; describes how it ended ("exit code 0", "timed out after
 * 60 s", or with piped stderr "exit code 1: RequestError: getaddrinfo ENOTFOUND ...").
 */
function run(command: string, args: string[], options: SpawnOptions & { timeout?: number }): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    child.on('error', (error) => resolve(error.message));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && options.timeout) return resolve(`timed out after ${options.timeout / 1000} s`);
      const ended = signal ? `killed by ${signal}` : `exit code ${code}`;
      const firstError = stderr.split('\n').find((line) => /error/i.test(line))?.trim();
      resolve(code !== 0 && firstError ? `${ended}: ${firstError}` : ended);
    });
  });
}
