import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.ts';
import { encodeFrame, FLAG_FIN, FrameReader, SpdyProtocolError, type Frame } from './frames.ts';
import { decodeHeaderBlock, encodeHeaderBlock, HeaderCompressor, HeaderDecompressor } from './headers.ts';

const samples: Frame[] = [
  { type: 'data', streamId: 7, flags: FLAG_FIN, data: Buffer.from('hello') },
  { type: 'syn_stream', streamId: 3, associatedId: 1, priority: 5, flags: 0, headerBlock: Buffer.from([1, 2, 3]) },
  { type: 'syn_reply', streamId: 4, flags: FLAG_FIN, headerBlock: Buffer.from([9]) },
  { type: 'headers', streamId: 5, flags: 0, headerBlock: Buffer.alloc(0) },
  { type: 'rst_stream', streamId: 9, status: 5 },
  { type: 'settings', flags: 1, entries: [{ flags: 0, id: 7, value: 65536 }, { flags: 1, id: 4, value: 100 }] },
  { type: 'ping', id: 0xfffffffe },
  { type: 'goaway', lastGoodStreamId: 11, status: 2 },
  { type: 'window_update', streamId: 0, delta: 32768 },
];

test('every frame type survives encode → decode, even when the bytes arrive one at a time', () => {
  const wire = Buffer.concat(samples.map(encodeFrame));
  assert.deepEqual(new FrameReader().push(wire), samples);
  const reader = new FrameReader();
  const decoded: Frame[] = [];
  for (const byte of wire) decoded.push(...reader.push(Buffer.from([byte])));
  assert.deepEqual(decoded, samples);
});

test('control frames carry version 3 and the C bit; data frames do not', () => {
  const ping = encodeFrame({ type: 'ping', id: 1 });
  assert.equal(ping.toString('hex'), '80030006000000040000000' + '1');
  const data = encodeFrame({ type: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.from('x') });
  assert.equal(data.toString('hex'), '000000010100000178');
});

test('a control frame of another SPDY version is a protocol error; an unknown type is skipped', () => {
  const v2 = encodeFrame({ type: 'ping', id: 1 });
  v2.writeUInt16BE(0x8002, 0);
  assert.throws(() => new FrameReader().push(v2), SpdyProtocolError);
  const unknown = encodeFrame({ type: 'ping', id: 1 });
  unknown.writeUInt16BE(10, 2); // CREDENTIAL, dropped in 3.1
  assert.deepEqual(new FrameReader().push(unknown), [{ type: 'unknown', frameType: 10 }]);
});

test('the SPDY/3 dictionary has the draft\'s length and Adler-32', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  // A zlib stream names its dictionary in bytes 2..5 (DICTID); Go's reader compares it.
  const dictId = zlib.deflateSync(Buffer.alloc(0), { dictionary: SPDY3_DICTIONARY }).readUInt32BE(2);
  assert.equal(dictId.toString(16), 'e3c6a7c2');
});

test('name/value blocks: lowercase names, NUL-joined values kept', () => {
  const block = encodeHeaderBlock({ StreamType: 'error', multi: 'a\0b' });
  assert.deepEqual(decodeHeaderBlock(block), { streamtype: 'error', multi: 'a\0b' });
});

test('compressed header blocks share one zlib context per direction, readable by a plain zlib inflater', async () => {
  const compressor = new HeaderCompressor();
  const ours = new HeaderDecompressor();
  const inflater = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  const inflated: Buffer[] = [];
  inflater.on('data', (chunk: Buffer) => inflated.push(chunk));
  for (let i = 0; i < 5; i++) {
    const headers = { streamtype: 'data', port: String(8080 + i), requestid: String(i) };
    const block = compressor.compress(headers);
    assert.deepEqual(ours.decompress(block), headers);
    inflater.write(block);
    await new Promise<void>((resolve) => inflater.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(decodeHeaderBlock(Buffer.concat(inflated.splice(0))), headers);
  }
});

test('blocks from a continuous zlib deflater (as Go writes them) decompress one by one', async () => {
  const deflater = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
  const out: Buffer[] = [];
  deflater.on('data', (chunk: Buffer) => out.push(chunk));
  const ours = new HeaderDecompressor();
  for (let i = 0; i < 5; i++) {
    const headers = { streamtype: i % 2 ? 'stdout' : 'stderr', filler: 'x'.repeat(i * 20000) };
    deflater.write(encodeHeaderBlock(headers));
    await new Promise<void>((resolve) => deflater.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ours.decompress(Buffer.concat(out.splice(0))), headers);
  }
});

test('a header block that is not zlib is a protocol error', () => {
  assert.throws(() => new HeaderDecompressor().decompress(Buffer.from('not zlib')), SpdyProtocolError);
});
