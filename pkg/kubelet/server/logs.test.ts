import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, describe, it } from 'node:test';
import { logOptions } from './containerlogs.ts';
import { parseCriLine, streamLog, type LogOptions } from './logs.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-kubelet-logs-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const FILE = [
  '2026-12-02T10:00:00.000000001Z stdout F one',
  '2026-12-02T10:00:01.5Z stderr F two',
  '2026-12-02T10:00:02Z stdout P par',
  '2026-12-02T10:00:02.1Z stderr F between',
  '2026-12-02T10:00:02.2Z stdout F tial',
  '2026-12-02T10:00:03Z stdout F last',
].join('\n') + '\n';

function logFile(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

async function read(file: string, options: Partial<LogOptions>): Promise<string> {
  const out = new PassThrough();
  const done = text(out);
  await streamLog(file, { follow: false, timestamps: false, ...options }, out, { running: async () => false, signal: new AbortController().signal });
  return done;
}

describe('CRI log files as the kubelet serves them', () => {
  it('parses a line: stamp, stream, tag, text (spaces kept)', () => {
    assert.deepEqual(parseCriLine('2026-12-02T10:00:00Z stderr P a  b'), { timestamp: '2026-12-02T10:00:00Z', stream: 'stderr', partial: true, text: 'a  b' });
    assert.equal(parseCriLine('not a log line'), undefined);
  });

  it('joins partial pieces per stream and interleaves stdout with stderr', async () => {
    assert.equal(await read(logFile('a.log', FILE), {}), 'one\ntwo\nparbetween\ntial\nlast\n');
  });

  it('timestamps prefix each line once, not the pieces that continue it', async () => {
    const out = await read(logFile('b.log', FILE), { timestamps: true, tailLines: 4 });
    assert.equal(out, '2026-12-02T10:00:02Z par2026-12-02T10:00:02.1Z between\ntial\n2026-12-02T10:00:03Z last\n');
  });

  it('tailLines counts file lines; since drops older lines; limitBytes cuts', async () => {
    const file = logFile('c.log', FILE);
    assert.equal(await read(file, { tailLines: 1 }), 'last\n');
    assert.equal(await read(file, { tailLines: 0 }), '');
    assert.equal(await read(file, { since: new Date('2026-12-02T10:00:02.15Z') }), 'tial\nlast\n');
    assert.equal(await read(file, { limitBytes: 6 }), 'one\ntw');
  });

  it('follow reads what is appended, starts over on a rotated file, and ends when the container stops', async () => {
    const file = logFile('d.log', '2026-12-02T10:00:00Z stdout F first\n');
    const out = new PassThrough();
    let seen = '';
    out.on('data', (d: Buffer) => (seen += d.toString()));
    let stopped = false;
    const done = streamLog(file, { follow: true, timestamps: false }, out, { running: async () => !stopped, signal: new AbortController().signal, pollMs: 10 });
    const waitFor = async (want: string) => {
      while (!seen.endsWith(want)) await new Promise((r) => setTimeout(r, 10));
    };
    await waitFor('first\n');
    fs.appendFileSync(file, '2026-12-02T10:00:01Z stdout F second\n2026-12-02T10:00:01Z stdout F thi');
    await waitFor('second\n');
    fs.appendFileSync(file, 'rd\n');
    await waitFor('third\n');
    // Rotation: the file is renamed away and a new one takes its name.
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, '2026-12-02T10:00:02Z stdout F after rotation\n');
    await waitFor('after rotation\n');
    fs.appendFileSync(file, '2026-12-02T10:00:03Z stdout F at exit\n');
    stopped = true;
    await done;
    assert.equal(seen, 'first\nsecond\nthird\nafter rotation\nat exit\n');
  });

  it('reads query options as the kubelet does', () => {
    const now = Date.parse('2026-12-02T10:00:10Z');
    const options = logOptions(new URLSearchParams('follow=true&timestamps=1&tailLines=5&sinceSeconds=10&limitBytes=100'), now);
    assert.deepEqual(options, { follow: true, timestamps: true, since: new Date('2026-12-02T10:00:00Z'), tailLines: 5, limitBytes: 100 });
    assert.throws(() => logOptions(new URLSearchParams('tailLines=x')), /invalid tailLines/);
  });
});
