import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { tarArchive } from './tar.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-tar-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('tar writer', () => {
  const longDir = `${'d'.repeat(90)}/${'e'.repeat(40)}`;
  const archive = tarArchive([
    { type: 'dir', path: 'bin' },
    { type: 'file', path: 'bin/tool', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
    { type: 'symlink', path: 'bin/alias', target: 'tool' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'file', path: `${longDir}/${'f'.repeat(60)}`, data: Buffer.alloc(513, 7) },
  ]);

  it('is read back by GNU tar with modes, links, sizes and long names', () => {
    const file = path.join(tmp, 'a.tar');
    fs.writeFileSync(file, archive);
    const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } }).trim().split('\n');
    assert.match(listing[0], /^drwxr-xr-x root\/root\s+0 .* bin\/$/);
    assert.match(listing[1], /^-rwxr-xr-x root\/root\s+18 .* bin\/tool$/);
    assert.match(listing[2], /^lrwxrwxrwx root\/root\s+0 .* bin\/alias -> tool$/);
    assert.match(listing[3], /^drwxrwxrwt root\/root\s+0 .* tmp\/$/);
    assert.ok(listing[4].endsWith(` 513 1970-01-01 00:00 ${longDir}/${'f'.repeat(60)}`), listing[4]);
    const out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    execFileSync('tar', ['-xf', file, '-C', out]);
    assert.deepEqual(fs.readFileSync(path.join(out, longDir, 'f'.repeat(60))), Buffer.alloc(513, 7));
  });

  it('is deterministic', () => {
    assert.deepEqual(tarArchive([{ type: 'file', path: 'x', data: Buffer.from('1') }]), tarArchive([{ type: 'file', path: 'x', data: Buffer.from('1') }]));
  });

  it('refuses names ustar cannot hold', () => {
    assert.throws(() => tarArchive([{ type: 'file', path: 'x'.repeat(101), data: Buffer.alloc(0) }]), /too long/);
  });
});
