import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findExecutable } from './ctr.ts';
import { pauseExecutable, pauseImageName } from './pause.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-pause-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Bit (signal - 1) of a /proc/PID/status signal mask. */
const hasSignal = (mask: string, signal: number) => ((BigInt(`0x${mask}`) >> BigInt(signal - 1)) & 1n) === 1n;

function statusField(pid: number, field: string): string {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return line!.split(/\s+/)[1];
}

async function startPause(): Promise<{ pid: number; exit: Promise<{ code: number | null; signal: string | null }> }> {
  const file = path.join(tmp, `pause-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, pauseExecutable('amd64'), { mode: 0o755 });
  const child = spawn(file, [], { stdio: 'ignore' });
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  // Wait until the handlers are installed (the process has reached pause()).
  while (!hasSignal(statusField(child.pid!, 'SigCgt'), 15)) await new Promise((r) => setTimeout(r, 10));
  return { pid: child.pid!, exit };
}

describe('built-in pause', { skip: process.arch !== 'x64' && 'runs the amd64 executable' }, () => {
  it('ignores SIGCHLD, catches SIGTERM and SIGINT, and sleeps', async () => {
    const { pid, exit } = await startPause();
    assert.ok(hasSignal(statusField(pid, 'SigIgn'), 17), 'SIGCHLD ignored');
    assert.ok(hasSignal(statusField(pid, 'SigCgt'), 2), 'SIGINT caught');
    assert.equal(statusField(pid, 'State'), 'S', 'sleeping, not spinning');
    process.kill(pid, 'SIGCHLD'); // ignored: still there
    assert.equal(statusField(pid, 'State'), 'S');
    process.kill(pid, 'SIGTERM');
    assert.deepEqual(await exit, { code: 0, signal: null });
  });

  it('exits 0 on SIGINT', async () => {
    const { pid, exit } = await startPause();
    process.kill(pid, 'SIGINT');
    assert.deepEqual(await exit, { code: 0, signal: null });
  });
});

describe('built-in pause on arm64, under qemu-user', { skip: !findExecutable('qemu-aarch64-static') && 'qemu-user-static not installed' }, () => {
  it('installs its handlers, waits in ppoll, and exits 0 on SIGTERM', async () => {
    const file = path.join(tmp, 'pause-arm64');
    fs.writeFileSync(file, pauseExecutable('arm64'), { mode: 0o755 });
    // -strace prints the guest's system calls: the proof the arm64 code does what amd64's does.
    const child = spawn(findExecutable('qemu-aarch64-static')!, ['-strace', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let trace = '';
    child.stderr.on('data', (b: Buffer) => (trace += b.toString()));
    const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    while (!trace.includes('ppoll(')) await new Promise((r) => setTimeout(r, 10));
    assert.match(trace, /rt_sigaction\(SIGCHLD,0x0*400078,NULL\) = 0/);
    assert.match(trace, /rt_sigaction\(SIGTERM,0x0*400098,NULL\) = 0/);
    assert.match(trace, /rt_sigaction\(SIGINT,0x0*400098,NULL\) = 0/);
    child.kill('SIGTERM');
    assert.deepEqual(await exit, { code: 0, signal: null });
    assert.match(trace, /exit_group\(0\)/);
  });
});

describe('pause ELF files', () => {
  for (const [arch, machine] of [['amd64', 0x3e], ['arm64', 0xb7]] as const) {
    it(`${arch}: one PT_LOAD segment covering the file, entry inside it`, () => {
      const file = pauseExecutable(arch);
      assert.equal(file.subarray(0, 4).toString('latin1'), '\x7fELF');
      assert.equal(file.readUInt16LE(18), machine);
      const entry = Number(file.readBigUInt64LE(24));
      const vaddr = Number(file.readBigUInt64LE(64 + 16));
      assert.equal(Number(file.readBigUInt64LE(64 + 32)), file.length);
      assert.ok(entry > vaddr && entry < vaddr + file.length);
      if (arch === 'arm64') assert.equal((entry - vaddr) % 4, 0, 'arm64 instructions are 4-byte aligned');
    });
  }

  it('arm64: known encodings (svc #0, mov x8 #94, branch back)', () => {
    const words = pauseExecutable('arm64');
    const all = Array.from({ length: (words.length - 184) / 4 }, (_, i) => words.readUInt32LE(184 + i * 4));
    assert.deepEqual(all.slice(0, 3), [0xd2800000, 0xd2800bc8, 0xd4000001]); // mov x0,#0; mov x8,#94; svc #0
    assert.equal(all[all.length - 1], 0x17fffffa); // b .-24
  });

  it('names the image after its bytes', () => {
    assert.match(pauseImageName('amd64'), /^tsk\.local\/pause:[0-9a-f]{12}$/);
    assert.notEqual(pauseImageName('amd64'), pauseImageName('arm64'));
  });
});
