import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { writeAtomically, type Payload } from './atomic.ts';

const file = (text: string, mode = 0o644) => ({ data: Buffer.from(text), mode });

describe('writeAtomically', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-atomic-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('lays out a timestamped directory, ..data and visible symlinks, with the modes asked', () => {
    const payload: Payload = new Map([['a.conf', file('A', 0o400)], ['sub/b.conf', file('B')]]);
    assert.equal(writeAtomically(dir, payload, new Date('2026-03-04T05:06:07Z')), true);
    const data = fs.readlinkSync(path.join(dir, '..data'));
    assert.match(data, /^\.\.2026_03_04_05_06_07\.\w+$/);
    assert.equal(fs.readlinkSync(path.join(dir, 'a.conf')), '..data/a.conf');
    assert.equal(fs.readlinkSync(path.join(dir, 'sub')), '..data/sub');
    assert.equal(fs.readFileSync(path.join(dir, 'sub/b.conf'), 'utf8'), 'B');
    assert.equal(fs.statSync(path.join(dir, 'a.conf')).mode & 0o777, 0o400);
    assert.equal(fs.statSync(path.join(dir, 'sub/b.conf')).mode & 0o777, 0o644);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['..data', data, 'a.conf', 'sub'].sort());
  });

  it('leaves an unchanged payload alone', () => {
    const payload: Payload = new Map([['a', file('A')]]);
    writeAtomically(dir, payload);
    const before = fs.readlinkSync(path.join(dir, '..data'));
    assert.equal(writeAtomically(dir, new Map([['a', file('A')]])), false);
    assert.equal(fs.readlinkSync(path.join(dir, '..data')), before);
    assert.equal(writeAtomically(dir, new Map([['a', file('A', 0o600)]])), true, 'a mode change is a change');
  });

  it('swaps in new contents, drops removed keys and the old directory', () => {
    writeAtomically(dir, new Map([['keep', file('1')], ['gone', file('x')]]));
    const old = fs.readlinkSync(path.join(dir, '..data'));
    // A reader that opened the old file keeps the old content; a new open sees the new one.
    const held = fs.openSync(path.join(dir, 'keep'), 'r');
    assert.equal(writeAtomically(dir, new Map([['keep', file('2')], ['new', file('n')]])), true);
    assert.equal(fs.readFileSync(path.join(dir, 'keep'), 'utf8'), '2');
    assert.equal(fs.readFileSync(held, 'utf8'), '1');
    fs.closeSync(held);
    assert.equal(fs.readFileSync(path.join(dir, 'new'), 'utf8'), 'n');
    assert.ok(!fs.existsSync(path.join(dir, 'gone')));
    assert.ok(!fs.existsSync(path.join(dir, old)));
    assert.ok(!fs.readdirSync(dir).includes('gone'), 'the stale symlink is removed too');
  });

  it('refuses paths that would leave the volume or hide its internals', () => {
    for (const bad of ['/etc/passwd', '../x', 'a/../../x', '..data', '']) {
      assert.throws(() => writeAtomically(dir, new Map([[bad, file('x')]])), /invalid path/);
    }
  });
});
