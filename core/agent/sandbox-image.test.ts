import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { constants, arch as hostArch, tmpdir } from 'node:os';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ELF_MACHINE, PAUSE_LOAD_ADDRESS, pauseExecutable, type PauseArch } from './pause-binary.ts';
import { sandboxImageRef, sandboxRootfsTar, SANDBOX_IMAGE_VERSION } from './sandbox-image.ts';

const HOST_ARCH: PauseArch | undefined = hostArch() === 'x64' ? 'amd64' : hostArch() === 'arm64' ? 'arm64' : undefined;

function parseElf(file: Buffer) {
  const phoff = Number(file.readBigUInt64LE(32));
  const programHeaders = Array.from({ length: file.readUInt16LE(56) }, (_, index) => {
    const at = phoff + index * file.readUInt16LE(54);
    return {
      type: file.readUInt32LE(at),
      flags: file.readUInt32LE(at + 4),
      offset: Number(file.readBigUInt64LE(at + 8)),
      vaddr: Number(file.readBigUInt64LE(at + 16)),
      fileSize: Number(file.readBigUInt64LE(at + 32)),
      memSize: Number(file.readBigUInt64LE(at + 40)),
    };
  });
  return {
    magic: file.subarray(0, 4).toString('latin1'),
    elfClass: file[4],
    dataEncoding: file[5],
    type: file.readUInt16LE(16),
    machine: file.readUInt16LE(18),
    entry: Number(file.readBigUInt64LE(24)),
    programHeaders,
  };
}

/** Waits until the process has installed handlers for `signals` (SigCgt in /proc/<pid>/status). */
async function untilSignalsCaught(pid: number, signals: NodeJS.Signals[]): Promise<void> {
  const wanted = signals.reduce((mask, signal) => mask | (1n << BigInt(constants.signals[signal] - 1)), 0n);
  for (;;) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const caught = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0'}`);
    if ((caught & wanted) === wanted) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs the executable, sends `signal` once it is waiting, resolves with its exit. */
async function runAndSignal(path: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: string | null }> {
  const child = spawn(path, [], { stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, exitSignal) => resolve({ code, signal: exitSignal }));
  });
  await untilSignalsCaught(child.pid!, ['SIGTERM', 'SIGINT']);
  child.kill(signal);
  return exited;
}

describe('pause executable', () => {
  const directories: string[] = [];
  afterAll(async () => {
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });

  for (const arch of ['amd64', 'arm64'] as const) {
    it(`is a static ELF64 executable for ${arch} whose entry point lies in its loaded segment`, () => {
      const file = pauseExecutable(arch);
      const elf = parseElf(file);

      expect(elf.magic).toBe('\x7fELF');
      expect(elf.elfClass).toBe(2); // 64-bit
      expect(elf.dataEncoding).toBe(1); // little-endian
      expect(elf.type).toBe(2); // ET_EXEC: no interpreter, no relocation
      expect(elf.machine).toBe(ELF_MACHINE[arch]);
      expect(elf.programHeaders.map((header) => header.type)).toEqual([1, 0x6474e551]); // PT_LOAD, PT_GNU_STACK
      expect(elf.programHeaders.some((header) => header.type === 3)).toBe(false); // no PT_INTERP
      const load = elf.programHeaders[0];
      expect(load).toMatchObject({ offset: 0, vaddr: PAUSE_LOAD_ADDRESS, fileSize: file.length, memSize: file.length, flags: 5 });
      expect(elf.entry).toBeGreaterThan(PAUSE_LOAD_ADDRESS + 120);
      expect(elf.entry).toBeLessThan(PAUSE_LOAD_ADDRESS + file.length);
      expect(elf.programHeaders[1].flags & 1).toBe(0); // stack not executable
    });
  }

  it('encodes the AArch64 loop with the instructions the kernel expects', () => {
    const file = pauseExecutable('arm64');
    const entry = Number(file.readBigUInt64LE(24)) - PAUSE_LOAD_ADDRESS;
    const words = Array.from({ length: (file.length - entry - 32) / 4 }, (_, index) => file.readUInt32LE(entry + index * 4));
    // Reference encodings: mov x0, #15 / mov x8, #134 (rt_sigaction) / svc #0 / mov x8, #73 (ppoll) / mov x8, #94 (exit_group)
    expect(words[0]).toBe(0xd28001e0);
    expect(words).toContain(0xd28010c8);
    expect(words).toContain(0xd4000001);
    expect(words).toContain(0xd2800928);
    expect(words).toContain(0xd2800bc8);
  });

  for (const arch of ['amd64', 'arm64'] as const) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      it(`runs on ${arch} until ${signal}, then exits 0`, async (context) => {
        if (arch !== HOST_ARCH) {
          console.log(`skipped: the ${arch} executable cannot run on this ${hostArch()} host`);
          context.skip();
        }
        const directory = await mkdtemp(join(tmpdir(), 'kubelab-pause-'));
        directories.push(directory);
        const path = join(directory, 'pause');
        await writeFile(path, pauseExecutable(arch));
        await chmod(path, 0o755);

        expect(await runAndSignal(path, signal)).toEqual({ code: 0, signal: null });
      });
    }
  }
});

describe('sandbox image', () => {
  it('names the image by version and arch', () => {
    expect(sandboxImageRef('arm64')).toBe(`kubelab/pause:${SANDBOX_IMAGE_VERSION}-arm64`);
  });

  it('packs /pause as an executable file in the root filesystem tar', async () => {
    const tar = await sandboxRootfsTar('amd64');
    const entries: { name: string; mode?: number; content: Buffer }[] = [];
    const extract = tarStream.extract();
    const done = new Promise<void>((resolve, reject) => {
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        entries.push({ name: header.name, mode: header.mode, content: Buffer.concat(chunks) });
        next();
      });
    });
    extract.end(tar);
    await done;

    expect(entries).toHaveLength(1);
    expect(entries[0].name).toBe('pause');
    expect(entries[0].mode).toBe(0o755);
    expect(entries[0].content.equals(pauseExecutable('amd64'))).toBe(true);
  });
});
