import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, dataDirOwner } from './data-dir-lock.ts';

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-lock-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const inUseMessage = (pid: number, where = dir) =>
  `kubelab: the data directory ${where} is in use by another kubelab (pid ${pid}). Stop it first, or pass --data-dir to use another directory.`;

/** Another process holding the directory, the way a running kubelab does. */
async function spawnHolder(): Promise<ChildProcess> {
  const moduleUrl = new URL('./data-dir-lock.ts', import.meta.url).href;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', `const { acquireDataDirLock } = await import(${JSON.stringify(moduleUrl)}); await acquireDataDirLock(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`],
    { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
  });
  return child;
}

describe('acquireDataDirLock', () => {
  it('refuses a second holder with the clear message, and frees the directory on release', async () => {
    expect(await dataDirOwner(dir)).toBeUndefined();
    const lock = await acquireDataDirLock(dir);
    expect(await dataDirOwner(dir)).toBe(process.pid);
    await expect(acquireDataDirLock(dir)).rejects.toThrow(inUseMessage(process.pid));
    await lock.release();
    await lock.release();
    expect(await dataDirOwner(dir)).toBeUndefined();
    const again = await acquireDataDirLock(dir);
    await again.release();
  });

  it('is one lock however the directory is named (a symlink to it)', async () => {
    const link = `${dir}-link`;
    symlinkSync(dir, link);
    try {
      const lock = await acquireDataDirLock(link);
      await expect(acquireDataDirLock(dir)).rejects.toThrow(inUseMessage(process.pid));
      expect(await dataDirOwner(dir)).toBe(process.pid);
      await lock.release();
    } finally {
      rmSync(link, { force: true });
    }
  });

  it('refuses a directory another process holds, naming its pid', async () => {
    const child = await spawnHolder();
    await expect(acquireDataDirLock(dir)).rejects.toThrow(inUseMessage(child.pid!));
    expect(await dataDirOwner(dir)).toBe(child.pid);
  });

  it('is free at once when its holder is killed with SIGKILL', async () => {
    const child = await spawnHolder();
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    // Right away, not after the exit event: the killed process (or its zombie) is still there.
    const lock = await acquireDataDirLock(dir);
    expect(await dataDirOwner(dir)).toBe(process.pid);
    await lock.release();
    await exited;
  });

  it('ignores (and removes) the pid file older versions locked with, even naming a live process', async () => {
    writeFileSync(join(dir, 'kubelab.lock'), `${process.ppid}\n`);
    expect(await dataDirOwner(dir)).toBeUndefined();
    const lock = await acquireDataDirLock(dir);
    expect(existsSync(join(dir, 'kubelab.lock'))).toBe(false);
    await lock.release();
  });

  it('leaves nothing behind in the directory', async () => {
    const lock = await acquireDataDirLock(dir);
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('creates the directory, and a missing one has no owner', async () => {
    const nested = join(dir, 'a', 'b');
    expect(await dataDirOwner(nested)).toBeUndefined();
    const lock = await acquireDataDirLock(nested);
    expect(await dataDirOwner(nested)).toBe(process.pid);
    await lock.release();
  });
});
