import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, isProcessAlive } from './data-dir-lock.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockFile = () => join(dir, 'kubelab.lock');

describe('acquireDataDirLock', () => {
  it('writes our pid, refuses a second holder, and frees the directory on release', async () => {
    const lock = await acquireDataDirLock(dir);
    expect(readFileSync(lockFile(), 'utf8').trim()).toBe(String(process.pid));
    await expect(acquireDataDirLock(dir)).rejects.toThrow(
      `kubelab: the data directory ${dir} is in use by another kubelab (pid ${process.pid}). Stop it first, or pass --data-dir to use another directory.`,
    );
    await lock.release();
    await lock.release();
    expect(existsSync(lockFile())).toBe(false);
    const again = await acquireDataDirLock(dir);
    await again.release();
  });

  it('refuses a lock held by another live process', async () => {
    writeFileSync(lockFile(), `${process.ppid}\n`);
    await expect(acquireDataDirLock(dir)).rejects.toThrow(`in use by another kubelab (pid ${process.ppid})`);
    expect(readFileSync(lockFile(), 'utf8')).toBe(`${process.ppid}\n`);
  });

  it('takes over a lock whose owner was killed with SIGKILL, at once', async () => {
    const moduleUrl = new URL('./data-dir-lock.ts', import.meta.url).href;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `const { acquireDataDirLock } = await import(${JSON.stringify(moduleUrl)}); await acquireDataDirLock(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
      child.on('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
    });
    await expect(acquireDataDirLock(dir)).rejects.toThrow(`pid ${child.pid}`);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(isProcessAlive(child.pid!)).toBe(false);

    const lock = await acquireDataDirLock(dir);
    expect(readFileSync(lockFile(), 'utf8').trim()).toBe(String(process.pid));
    await lock.release();
  });

  it('takes over a lock left empty by an owner that died before writing its pid', async () => {
    writeFileSync(lockFile(), '');
    const lock = await acquireDataDirLock(dir);
    expect(readFileSync(lockFile(), 'utf8').trim()).toBe(String(process.pid));
    await lock.release();
  });

  it('does not remove a lock another process took over after us', async () => {
    const lock = await acquireDataDirLock(dir);
    writeFileSync(lockFile(), '424242\n');
    await lock.release();
    expect(readFileSync(lockFile(), 'utf8')).toBe('424242\n');
  });
});
