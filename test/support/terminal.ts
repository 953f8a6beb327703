import { spawn } from 'node:child_process';

/**
 * Runs a shell command under `script`, which gives it a pseudo-terminal as a user's
 * shell would (kubectl -it refuses to allocate a TTY without one). Output (stdout and
 * stderr) is collected; `type` writes keystrokes; `exited` resolves with the exit code.
 */
export function inTerminal(command: string) {
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    output: () => output,
    type: (text: string) => child.stdin.write(text),
    exited,
    stop: () => child.kill(),
  };
}
