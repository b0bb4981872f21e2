/**
 * tsk's built-in pause executable: the process that holds a pod's namespaces (PID 1 of the
 * pod), written here byte by byte so that there is nothing to download and nothing to compile.
 * It does what Kubernetes' pause does, and no more:
 *   - ignores SIGCHLD (SIG_IGN), so the kernel reaps any zombie reparented to it;
 *   - exits 0 on SIGTERM and SIGINT (handlers that call exit_group(0)): a PID 1 with no handler
 *     would ignore them, and every sandbox stop would wait for SIGKILL;
 *   - otherwise sleeps forever, waking only for signals.
 *
 * The file is a static ELF64 executable with one loadable segment (no sections, no libc):
 *   [ELF header 64 B][program header 56 B][two struct sigaction, 32 B each][code]
 * loaded read+execute at BASE. The sigaction structs are data the kernel only reads.
 */
import { createHash } from 'node:crypto';
import { ociImageArchive } from './oci.ts';

export type PauseArch = 'amd64' | 'arm64';

const BASE = 0x400000;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SIGACTION_SIZE = 32; // kernel struct sigaction: handler, flags, restorer, mask (8 B each)
const IGNORE_ACTION = EHDR_SIZE + PHDR_SIZE; // file offset of the SIGCHLD action
const EXIT_ACTION = IGNORE_ACTION + SIGACTION_SIZE; // file offset of the SIGTERM/SIGINT action
const CODE = EXIT_ACTION + SIGACTION_SIZE; // file offset of the code: the handler comes first

const SIGINT = 2;
const SIGTERM = 15;
const SIGCHLD = 17; // same number on x86-64 and arm64
const SIG_IGN = 1n;
/**
 * x86-64 delivers a signal only to a handler that names a restorer (the code `ret` from the
 * handler lands on); ours never returns, so the restorer is the handler itself. arm64 would use
 * the vDSO's without the flag, but accepts it too.
 */
const SA_RESTORER = 0x04000000n;

interface ArchCode {
  machine: number; // ELF e_machine
  align: number; // segment alignment: the largest page size of the architecture
  /** The exit handler's code; it sits at CODE. */
  handler: number[];
  /** The entry point's code (at CODE + handler length), given the actions' addresses. */
  start: (ignoreAction: number, exitAction: number) => number[];
}

const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** x86-64: syscall number in eax, arguments in rdi, rsi, rdx, r10; `syscall` (0f 05). */
const AMD64: ArchCode = {
  machine: 0x3e,
  align: 0x1000,
  handler: [
    ...[0x31, 0xff], //                     xor  edi, edi        status 0
    ...[0xb8, ...le32(231)], //             mov  eax, 231        exit_group
    ...[0x0f, 0x05], //                     syscall
  ],
  start: (ignoreAction, exitAction) => {
    const sigaction = (signal: number, action: number) => [
      ...[0xb8, ...le32(13)], //            mov  eax, 13         rt_sigaction
      ...[0xbf, ...le32(signal)], //        mov  edi, signal
      ...[0xbe, ...le32(action)], //        mov  esi, action     (below 4 GiB: zero-extended)
      ...[0x31, 0xd2], //                   xor  edx, edx        no old action wanted
      ...[0x41, 0xba, ...le32(8)], //       mov  r10d, 8         sizeof(sigset_t)
      ...[0x0f, 0x05], //                   syscall
    ];
    return [
      ...sigaction(SIGCHLD, ignoreAction),
      ...sigaction(SIGTERM, exitAction),
      ...sigaction(SIGINT, exitAction),
      ...[0xb8, ...le32(34)], //            loop: mov eax, 34   pause
      ...[0x0f, 0x05], //                   syscall
      ...[0xeb, 0xf7], //                   jmp  loop            (-9: back over these 9 bytes)
    ];
  },
};

/** arm64 instruction encodings (each a little-endian 32-bit word). */
const A64 = {
  /** MOVZ Xd, #imm16 (sf=1 opc=10 100101 hw=00). */
  movz: (reg: number, imm16: number) => 0xd2800000 | (imm16 << 5) | reg,
  /** MOVK Xd, #imm16, LSL #16 (sf=1 opc=11 100101 hw=01). */
  movk16: (reg: number, imm16: number) => 0xf2a00000 | (imm16 << 5) | reg,
  /** SVC #0: the system call. */
  svc: 0xd4000001,
  /** B by a signed number of instructions. */
  branch: (instructions: number) => 0x14000000 | (instructions & 0x3ffffff),
};
const words = (list: number[]) => list.flatMap((w) => le32(w >>> 0));

/** arm64: syscall number in x8, arguments in x0..x5; `svc #0`. There is no pause(): ppoll with nothing to poll and no timeout waits for a signal the same way. */
const ARM64: ArchCode = {
  machine: 0xb7,
  align: 0x10000, // 64 KiB pages exist on arm64 kernels
  handler: words([
    A64.movz(0, 0), //                      mov  x0, #0          status 0
    A64.movz(8, 94), //                     mov  x8, #94         exit_group
    A64.svc,
  ]),
  start: (ignoreAction, exitAction) => {
    const sigaction = (signal: number, action: number) => [
      A64.movz(0, signal), //               mov  x0, #signal
      A64.movz(1, action & 0xffff), //      mov  x1, #action[15:0]
      A64.movk16(1, action >>> 16), //      movk x1, #action[31:16], lsl #16
      A64.movz(2, 0), //                    mov  x2, #0          no old action wanted
      A64.movz(3, 8), //                    mov  x3, #8          sizeof(sigset_t)
      A64.movz(8, 134), //                  mov  x8, #134        rt_sigaction
      A64.svc,
    ];
    const loop = [
      A64.movz(0, 0), //                    loop: mov x0, #0     no fds
      A64.movz(1, 0), //                    mov  x1, #0          nfds 0
      A64.movz(2, 0), //                    mov  x2, #0          no timeout: wait forever
      A64.movz(3, 0), //                    mov  x3, #0          keep the signal mask
      A64.movz(8, 73), //                   mov  x8, #73         ppoll
      A64.svc,
    ];
    return words([...sigaction(SIGCHLD, ignoreAction), ...sigaction(SIGTERM, exitAction), ...sigaction(SIGINT, exitAction), ...loop, A64.branch(-loop.length)]);
  },
};

const ARCHES: Record<PauseArch, ArchCode> = { amd64: AMD64, arm64: ARM64 };

/** The architecture of this machine in OCI's words, if pause supports it. */
export function hostPauseArch(): PauseArch {
  if (process.arch === 'x64') return 'amd64';
  if (process.arch === 'arm64') return 'arm64';
  throw new Error(`tsk's pause image supports amd64 and arm64, not ${process.arch}`);
}

/** The pause executable for `arch`. */
export function pauseExecutable(arch: PauseArch = hostPauseArch()): Buffer {
  const code = ARCHES[arch];
  const handler = BASE + CODE;
  const start = code.start(BASE + IGNORE_ACTION, BASE + EXIT_ACTION);
  const size = CODE + code.handler.length + start.length;
  const file = Buffer.alloc(size);
  // ELF header
  file.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // magic, 64-bit, little-endian, version 1; System V ABI
  file.writeUInt16LE(2, 16); // e_type: executable
  file.writeUInt16LE(code.machine, 18);
  file.writeUInt32LE(1, 20); // e_version
  file.writeBigUInt64LE(BigInt(handler + code.handler.length), 24); // e_entry: after the handler
  file.writeBigUInt64LE(BigInt(EHDR_SIZE), 32); // e_phoff; e_shoff stays 0: no sections
  file.writeUInt16LE(EHDR_SIZE, 52); // e_ehsize
  file.writeUInt16LE(PHDR_SIZE, 54); // e_phentsize
  file.writeUInt16LE(1, 56); // e_phnum
  // Program header: the whole file as one PT_LOAD segment, readable and executable.
  file.writeUInt32LE(1, EHDR_SIZE); // p_type: PT_LOAD
  file.writeUInt32LE(5, EHDR_SIZE + 4); // p_flags: PF_R | PF_X
  file.writeBigUInt64LE(0n, EHDR_SIZE + 8); // p_offset
  file.writeBigUInt64LE(BigInt(BASE), EHDR_SIZE + 16); // p_vaddr
  file.writeBigUInt64LE(BigInt(BASE), EHDR_SIZE + 24); // p_paddr
  file.writeBigUInt64LE(BigInt(size), EHDR_SIZE + 32); // p_filesz
  file.writeBigUInt64LE(BigInt(size), EHDR_SIZE + 40); // p_memsz
  file.writeBigUInt64LE(BigInt(code.align), EHDR_SIZE + 48); // p_align
  // struct sigaction for SIGCHLD: SIG_IGN, no flags, empty mask.
  file.writeBigUInt64LE(SIG_IGN, IGNORE_ACTION);
  // struct sigaction for SIGTERM/SIGINT: our handler, SA_RESTORER, restorer = handler, empty mask.
  file.writeBigUInt64LE(BigInt(handler), EXIT_ACTION);
  file.writeBigUInt64LE(SA_RESTORER, EXIT_ACTION + 8);
  file.writeBigUInt64LE(BigInt(handler), EXIT_ACTION + 16);
  file.set(code.handler, CODE);
  file.set(start, CODE + code.handler.length);
  return file;
}

/** The built-in sandbox image's name: the tag follows the executable's bytes, so it changes exactly when they do. */
export function pauseImageName(arch: PauseArch = hostPauseArch()): string {
  return `tsk.local/pause:${createHash('sha256').update(pauseExecutable(arch)).digest('hex').slice(0, 12)}`;
}

/** The built-in sandbox image: /pause alone, as its entrypoint. */
export function pauseImageArchive(arch: PauseArch = hostPauseArch()): Buffer {
  return ociImageArchive({
    name: pauseImageName(arch),
    architecture: arch,
    layers: [[{ type: 'file', path: 'pause', data: pauseExecutable(arch), mode: 0o755 }]],
    config: { Entrypoint: ['/pause'] },
  });
}
