import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

// One Kubelab per data directory: two writers on one data file would silently
// overwrite each other's saves.
//
// The lock is `DIR/kubelab.lock`, created exclusively (open 'wx') and holding the
// owner's pid. A lock whose pid is no longer alive is stale and taken over at once,
// so a restart right after a crash or kill -9 just works. proper-lockfile is not
// used on purpose: it judges staleness by the lock's mtime, which blocks a restart
// for seconds after kill -9 (until the mtime is old enough).
//
// Known limits, acceptable for a desktop app: two kubelabs taking over the same stale
// lock within the same millisecond could both win, and after a reboot the old pid may
// belong to an unrelated process (the message then tells the user what to do).

export interface DataDirLock {
  /** Removes the lock file if this process still owns it. Idempotent. */
  release(): Promise<void>;
}

const LOCK_FILE_NAME = 'kubelab.lock';

// Lock files this process holds: our own pid in a lock we don't hold is a leftover
// from a previous boot that happened to reuse our pid.
const heldByThisProcess = new Set<string>();

/** True when a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireDataDirLock(dir: string): Promise<DataDirLock> {
  await mkdir(dir, { recursive: true });
  const lockPath = join(dir, LOCK_FILE_NAME);

  for (let attempt = 0; attempt < 10; attempt++) {
    if (await tryCreateLock(lockPath)) return lockHandle(lockPath);

    const owner = await readOwnerPid(lockPath);
    if (owner === 'gone') continue; // released between our create and our read: try again
    if (owner !== undefined && ownerIsLive(lockPath, owner)) {
      throw new Error(
        `kubelab: the data directory ${dir} is in use by another kubelab (pid ${owner}). ` +
          'Stop it first, or pass --data-dir to use another directory.',
      );
    }
    // Stale (owner dead) or unreadable after waiting: take it over.
    await unlink(lockPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  throw new Error(`kubelab: could not take the lock ${lockPath}: another process keeps creating it. Try again.`);
}

function ownerIsLive(lockPath: string, pid: number): boolean {
  if (pid === process.pid) return heldByThisProcess.has(lockPath);
  return isProcessAlive(pid);
}

async function tryCreateLock(lockPath: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  heldByThisProcess.add(lockPath);
  return true;
}

/**
 * The pid in the lock; undefined when the file stays empty or garbled (its owner died
 * between creating and writing it); 'gone' when the file disappeared meanwhile.
 */
async function readOwnerPid(lockPath: string): Promise<number | undefined | 'gone'> {
  // A freshly created lock is empty for a moment before its owner writes the pid.
  for (let tries = 0; tries < 20; tries++) {
    let text: string;
    try {
      text = await readFile(lockPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
      throw error;
    }
    const pid = Number.parseInt(text.trim(), 10);
    if (Number.isInteger(pid) && pid > 0 && /^\d+\s*$/.test(text)) return pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

function lockHandle(lockPath: string): DataDirLock {
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      heldByThisProcess.delete(lockPath);
      // Only remove it if it is still ours (never another owner's after a takeover).
      const text = await readFile(lockPath, 'utf8').catch(() => undefined);
      if (text !== undefined && Number.parseInt(text.trim(), 10) === process.pid) {
        await unlink(lockPath).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
      }
    },
  };
}
