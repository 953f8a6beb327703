import { execFile, spawn } from 'node:child_process';

// The docker CLI, for tests that check what Kubelab did to a daemon from the outside.

export function docker(args: string[], options: { host?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...(options.host ? { DOCKER_HOST: options.host } : {}) };
    execFile('docker', args, { env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`docker ${args.join(' ')} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

/** IDs of the containers whose labels match every `key=value` given (an empty value: the key is present). */
export async function containersWithLabels(labels: Record<string, string>, options: { host?: string; all?: boolean } = {}): Promise<string[]> {
  const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', v === '' ? `label=${k}` : `label=${k}=${v}`]);
  const out = await docker(['ps', ...(options.all === false ? [] : ['-a']), '-q', '--no-trunc', ...filters], options);
  return out.split('\n').filter(Boolean).sort();
}

/** `docker events` as JSON lines, from now until stopped. */
export function dockerEvents(filters: string[], options: { host?: string } = {}) {
  const env = { ...process.env, ...(options.host ? { DOCKER_HOST: options.host } : {}) };
  const child = spawn('docker', ['events', '--format', '{{json .}}', ...filters], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return { lines: () => out.split('\n').filter(Boolean), stop: () => child.kill() };
}
