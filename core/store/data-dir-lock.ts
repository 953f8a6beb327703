import { createHash } from 'node:crypto';
import { lstat, mkdir, realpath, stat, unlink } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// One Kubelab per data directory: two writers on one data file would silently
// overwrite each other's saves.
//
// The directory is held by a listening socket whose name is derived from the data
// directory's real path, because the kernel closes it when its owner dies, however it
// dies (kill -9 of the whole process group included), and bind is atomic: whoever
// binds the name holds the directory, nobody else can. No pid is ever judged: a pid
// file judged by kill(pid, 0) refused restarts while a killed process was still being
// torn down, while it was an unreaped zombie (an orphan whose init reaps late, or
// never, in a container), and after a reboot that gave its pid to another process.
//  - Linux: an abstract-namespace unix socket (`\0kubelab-data-dir-<hash>`): no file
//    is left behind, nothing to clean up.
//  - Windows: a named pipe (`\\.\pipe\kubelab-data-dir-<hash>`), also gone with its owner.
//  - Elsewhere (macOS): a unix socket file in the data directory (or, when that path
//    would not fit in sun_path, one under the temp directory named by the hash). The
//    file outlives a killed owner, so one nobody listens on (connect is refused) is
//    unlinked and the bind tried again.
// The holder answers each connection with its pid, so a refusal can say who holds the
// directory, and `kubelab gc` can tell a running cluster from an abandoned one.
// Sockets are opened close-on-exec: processes the holder spawns never inherit it.
//
// proper-lockfile is not used: it judges staleness by the lock's mtime, which blocks
// a restart for seconds after kill -9. flock/fcntl locks (also released by the kernel)
// are not reachable from Node without a native addon.
//
// Known limits: on Linux the abstract namespace is per network namespace, so kubelabs
// in different network namespaces (containers) sharing one directory do not see each
// other; any local process can bind the name first (kubelab then refuses to start on
// that directory). On macOS two kubelabs replacing the same stale socket file in the
// same instant could both win (the window is a stat and an unlink wide).

export interface DataDirLock {
  /** Stops holding the data directory. Idempotent. */
  release(): Promise<void>;
}

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

/** The pid file older versions held the directory with; ignored, and removed once we hold it. */
const LEGACY_LOCK_FILE = 'kubelab.lock';
const SOCKET_FILE = 'kubelab.sock';
/** macOS's sun_path is 104 bytes with the terminating NUL (Linux's 108). */
const MAX_SOCKET_PATH_BYTES = 103;
/** A live holder answers at once; one that does not within this is dying (or hung). */
const ANSWER_TIMEOUT_MS = 1000;
/** How long a dying holder (bound, no longer answering) may keep the name before we give up. */
const FREE_TIMEOUT_MS = 5000;
const RETRY_DELAY_MS = 25;

export async function acquireDataDirLock(dir: string): Promise<DataDirLock> {
  await mkdir(dir, { recursive: true });
  const address = lockAddress(await realpath(dir));
  const deadline = Date.now() + FREE_TIMEOUT_MS;
  for (;;) {
    const server = await tryListen(address);
    if (server) {
      await unlink(join(dir, LEGACY_LOCK_FILE)).catch(() => undefined);
      return lockHandle(server);
    }
    const owner = await askOwner(address);
    if (owner.kind === 'pid') throw inUse(dir, owner.pid);
    if (owner.kind === 'free' && address.file && (await removeStaleSocketFile(address.path, owner.staleIno))) continue;
    if (Date.now() >= deadline) {
      throw new Error(
        `kubelab: the data directory ${dir} is held by a process that does not answer (a kubelab still stopping, or a hung one). ` +
          'Try again in a moment, or pass --data-dir to use another directory.',
      );
    }
    // 'silent': the owner is dying (the kernel holds its socket until the last thread
    // is gone) or busy; 'free': it let go between our bind and our connect.
    await sleep(RETRY_DELAY_MS);
  }
}

/**
 * The pid of the live kubelab holding `dir`, or undefined when nothing holds it (or
 * the directory does not exist). A holder that is dying is waited for; one that keeps
 * the directory without answering for seconds makes this throw (it is not free).
 */
export async function dataDirOwner(dir: string): Promise<number | undefined> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const address = lockAddress(real);
  const deadline = Date.now() + FREE_TIMEOUT_MS;
  for (;;) {
    const owner = await askOwner(address);
    if (owner.kind === 'pid') return owner.pid;
    if (owner.kind === 'free') return undefined;
    if (Date.now() >= deadline) throw new Error(`kubelab: the data directory ${dir} is held by a process that does not answer`);
    await sleep(RETRY_DELAY_MS);
  }
}

function inUse(dir: string, owner: number): Error {
  return new Error(
    `kubelab: the data directory ${dir} is in use by another kubelab (pid ${owner}). ` +
      'Stop it first, or pass --data-dir to use another directory.',
  );
}

interface LockAddress {
  /** What server.listen and net.connect take. */
  path: string;
  /** A socket file in the file system (it outlives a killed owner). */
  file: boolean;
}

function lockAddress(realDir: string): LockAddress {
  const platform = process.platform;
  const key = platform === 'win32' ? realDir.toLowerCase() : realDir;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
  if (platform === 'linux') return { path: `\0kubelab-data-dir-${hash}`, file: false };
  if (platform === 'win32') return { path: `\\\\.\\pipe\\kubelab-data-dir-${hash}`, file: false };
  const inDir = join(realDir, SOCKET_FILE);
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH_BYTES) return { path: inDir, file: true };
  return { path: join(tmpdir(), `kubelab-${hash}.sock`), file: true };
}

/** A listening server on the address, or undefined when it is taken. */
function tryListen(address: LockAddress): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer({ allowHalfOpen: false }, (socket) => {
      socket.on('error', () => undefined); // a client that resets: nothing to do
      socket.end(`${process.pid}\n`);
    });
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(undefined);
      else reject(new Error(`kubelab: cannot hold the data directory (listen on ${printable(address.path)}): ${error.message}`));
    });
    server.listen({ path: address.path, exclusive: true }, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined); // a failed accept must not take the process down
      server.unref(); // holding the directory never keeps a process alive
      resolve(server);
    });
  });
}

type OwnerAnswer =
  /** A live holder said who it is. */
  | { kind: 'pid'; pid: number }
  /** Nobody listens (staleIno: the leftover socket file, when there is one). */
  | { kind: 'free'; staleIno?: number }
  /** Something holds the name but does not answer: a dying owner, or a busy one. */
  | { kind: 'silent' };

async function askOwner(address: LockAddress): Promise<OwnerAnswer> {
  // The inode before connecting: only the file found stale is ever removed.
  const ino = address.file ? await stat(address.path).then((s) => s.ino, () => undefined) : undefined;
  return new Promise((resolve) => {
    let text = '';
    let settled = false;
    const done = (answer: OwnerAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const socket = connect({ path: address.path });
    const timer = setTimeout(() => done({ kind: 'silent' }), ANSWER_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const match = /^(\d+)\n/.exec(text);
      if (match) done({ kind: 'pid', pid: Number(match[1]) });
      else if (text.length > 32 || text.includes('\n')) done({ kind: 'silent' });
    });
    socket.on('end', () => done({ kind: 'silent' }));
    socket.on('close', () => done({ kind: 'silent' }));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') done({ kind: 'free', staleIno: ino });
      else done({ kind: 'silent' }); // ECONNRESET, EAGAIN (backlog full), EPIPE: try again
    });
  });
}

/** Unlinks the socket file nobody listens on, unless it was replaced meanwhile. True when it is gone. */
async function removeStaleSocketFile(path: string, staleIno: number | undefined): Promise<boolean> {
  const now = await lstat(path).catch(() => undefined);
  if (!now) return true;
  if (staleIno === undefined || now.ino !== staleIno || !now.isSocket()) return false;
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return true;
}

function lockHandle(server: Server): DataDirLock {
  let closing: Promise<void> | undefined;
  return {
    release() {
      // close() unlinks a socket file itself (before closing the descriptor).
      closing ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closing;
    },
  };
}

function printable(path: string): string {
  return path.startsWith('\0') ? `@${path.slice(1)}` : path;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
