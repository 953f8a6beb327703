// The pod sandbox's process, generated as machine code so every node gets its sandbox
// image offline, with no compiler and no registry. Like Kubernetes' `pause`, it
// sleeps forever holding the pod's namespaces, and exits 0 on SIGTERM or SIGINT.
// As PID 1 of its container it must install a handler: the kernel ignores signals
// whose disposition is the default for a namespace's init process, and `docker stop`
// would otherwise wait out its timeout and SIGKILL it.
//
// The program, for both architectures:
//   rt_sigaction(SIGTERM, &action, NULL, 8); rt_sigaction(SIGINT, &action, NULL, 8)
//   loop: wait for a signal (x86-64 pause; AArch64 has no pause: ppoll(NULL, 0, NULL, NULL))
//   handler: exit_group(0)
// `action` is the kernel's struct sigaction {handler, flags, restorer, mask} stored
// after the code; the handler never returns, so no signal trampoline is needed.

export type PauseArch = 'amd64' | 'arm64';

/** Where the single loadable segment (the whole file) is mapped. */
export const PAUSE_LOAD_ADDRESS = 0x400000;

const ELF_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
const PROGRAM_HEADER_COUNT = 2; // PT_LOAD, PT_GNU_STACK
const CODE_OFFSET = ELF_HEADER_SIZE + PROGRAM_HEADER_SIZE * PROGRAM_HEADER_COUNT;

export const ELF_MACHINE: Record<PauseArch, number> = { amd64: 62, arm64: 183 };

const SIGINT = 2;
const SIGTERM = 15;
/** x86-64 requires a restorer for signal delivery; AArch64 falls back to the vDSO's. */
const SA_RESTORER = 0x04000000;
const SIGSET_BYTES = 8;

interface Program {
  /** Machine code; `action` data follows it at `actionOffset`. */
  code: Buffer;
  handlerOffset: number;
  actionFlags: number;
}

/** A complete static ELF64 executable for `arch` (little-endian, no sections). */
export function pauseExecutable(arch: PauseArch): Buffer {
  const program = arch === 'amd64' ? amd64Program() : arm64Program();
  const actionOffset = CODE_OFFSET + program.code.length;
  const handlerAddress = PAUSE_LOAD_ADDRESS + CODE_OFFSET + program.handlerOffset;

  const action = Buffer.alloc(32);
  action.writeBigUInt64LE(BigInt(handlerAddress), 0);
  action.writeBigUInt64LE(BigInt(program.actionFlags), 8);
  action.writeBigUInt64LE(program.actionFlags & SA_RESTORER ? BigInt(handlerAddress) : 0n, 16);
  action.writeBigUInt64LE(0n, 24); // nothing blocked during the handler

  const fileSize = actionOffset + action.length;
  const header = Buffer.alloc(CODE_OFFSET);
  // e_ident: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  header.writeUInt16LE(2, 16); // e_type: ET_EXEC
  header.writeUInt16LE(ELF_MACHINE[arch], 18);
  header.writeUInt32LE(1, 20); // e_version
  header.writeBigUInt64LE(BigInt(PAUSE_LOAD_ADDRESS + CODE_OFFSET), 24); // e_entry
  header.writeBigUInt64LE(BigInt(ELF_HEADER_SIZE), 32); // e_phoff
  header.writeBigUInt64LE(0n, 40); // e_shoff: no sections
  header.writeUInt32LE(0, 48); // e_flags
  header.writeUInt16LE(ELF_HEADER_SIZE, 52);
  header.writeUInt16LE(PROGRAM_HEADER_SIZE, 54);
  header.writeUInt16LE(PROGRAM_HEADER_COUNT, 56);
  header.writeUInt16LE(64, 58); // e_shentsize
  header.writeUInt16LE(0, 60); // e_shnum
  header.writeUInt16LE(0, 62); // e_shstrndx

  // PT_LOAD: the whole file, readable and executable (the action is only read by the kernel).
  let at = ELF_HEADER_SIZE;
  header.writeUInt32LE(1, at); // p_type
  header.writeUInt32LE(5, at + 4); // p_flags: R | X
  header.writeBigUInt64LE(0n, at + 8); // p_offset
  header.writeBigUInt64LE(BigInt(PAUSE_LOAD_ADDRESS), at + 16); // p_vaddr
  header.writeBigUInt64LE(BigInt(PAUSE_LOAD_ADDRESS), at + 24); // p_paddr
  header.writeBigUInt64LE(BigInt(fileSize), at + 32); // p_filesz
  header.writeBigUInt64LE(BigInt(fileSize), at + 40); // p_memsz
  header.writeBigUInt64LE(0x1000n, at + 48); // p_align

  // PT_GNU_STACK: a non-executable stack.
  at += PROGRAM_HEADER_SIZE;
  header.writeUInt32LE(0x6474e551, at);
  header.writeUInt32LE(6, at + 4); // R | W
  header.writeBigUInt64LE(16n, at + 48);

  return Buffer.concat([header, program.code, action]);
}

/** Pads code with `filler` so the action struct after it is 8-byte aligned. */
function alignCode(bytes: number[], filler: number[]): Buffer {
  const code = [...bytes];
  while ((CODE_OFFSET + code.length) % 8 !== 0) code.push(...filler);
  return Buffer.from(code);
}

function amd64Program(): Program {
  const u32 = (value: number) => [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff];
  const SYS_RT_SIGACTION = 13;
  const SYS_PAUSE = 34;
  const SYS_EXIT_GROUP = 231;

  // Two rt_sigaction calls, each 29 bytes; `lea` needs the distance to the action,
  // which is known once the code's length is: lay out first, patch after.
  const code: number[] = [];
  const leaPatches: number[] = [];
  for (const signal of [SIGTERM, SIGINT]) {
    code.push(0xb8, ...u32(SYS_RT_SIGACTION)); // mov eax, 13
    code.push(0xbf, ...u32(signal)); // mov edi, signal
    leaPatches.push(code.length + 3);
    code.push(0x48, 0x8d, 0x35, 0, 0, 0, 0); // lea rsi, [rip + action]
    code.push(0x31, 0xd2); // xor edx, edx
    code.push(0x41, 0xba, ...u32(SIGSET_BYTES)); // mov r10d, 8
    code.push(0x0f, 0x05); // syscall
  }
  const loop = code.length;
  code.push(0xb8, ...u32(SYS_PAUSE)); // mov eax, 34
  code.push(0x0f, 0x05); // syscall
  code.push(0xeb, (loop - (code.length + 2)) & 0xff); // jmp loop
  const handlerOffset = code.length;
  code.push(0xb8, ...u32(SYS_EXIT_GROUP)); // mov eax, 231
  code.push(0x31, 0xff); // xor edi, edi
  code.push(0x0f, 0x05); // syscall

  const aligned = alignCode(code, [0xcc]); // int3: never reached
  for (const patch of leaPatches) {
    // rip-relative displacement counts from the end of the 7-byte lea (patch is its 4th byte)
    aligned.writeInt32LE(aligned.length - (patch + 4), patch);
  }
  return { code: aligned, handlerOffset, actionFlags: SA_RESTORER };
}

function arm64Program(): Program {
  const SYS_PPOLL = 73;
  const SYS_EXIT_GROUP = 94;
  const SYS_RT_SIGACTION = 134;
  const movz = (register: number, value: number) => 0xd2800000 | ((value & 0xffff) << 5) | register; // mov xN, #value
  const svc0 = () => 0xd4000001;
  const branch = (from: number, to: number) => (0x14000000 | (((to - from) >> 2) & 0x3ffffff)) >>> 0; // b to
  // adr xN, to: a 21-bit byte offset split into immlo (bits 29-30) and immhi (bits 5-23)
  const adr = (register: number, from: number, to: number) => {
    const offset = to - from;
    return (0x10000000 | ((offset & 3) << 29) | (((offset >> 2) & 0x7ffff) << 5) | register) >>> 0;
  };

  const words: number[] = [];
  const adrPatches: { index: number; register: number }[] = [];
  for (const signal of [SIGTERM, SIGINT]) {
    words.push(movz(0, signal));
    adrPatches.push({ index: words.length, register: 1 });
    words.push(0); // adr x1, action
    words.push(movz(2, 0), movz(3, SIGSET_BYTES), movz(8, SYS_RT_SIGACTION), svc0());
  }
  const loop = words.length;
  words.push(movz(0, 0), movz(1, 0), movz(2, 0), movz(3, 0), movz(4, 0), movz(8, SYS_PPOLL), svc0());
  words.push(branch(words.length * 4, loop * 4));
  const handlerOffset = words.length * 4;
  words.push(movz(0, 0), movz(8, SYS_EXIT_GROUP), svc0());

  const bytes = Buffer.alloc(words.length * 4);
  words.forEach((word, index) => bytes.writeUInt32LE(word >>> 0, index * 4));
  const aligned = alignCode([...bytes], [0x00, 0x00, 0x20, 0xd4]); // brk #0: never reached
  for (const { index, register } of adrPatches) {
    aligned.writeUInt32LE(adr(register, index * 4, aligned.length), index * 4);
  }
  return { code: aligned, handlerOffset, actionFlags: 0 };
}
