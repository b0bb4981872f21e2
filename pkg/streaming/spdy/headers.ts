/**
 * SPDY/3 name/value header blocks and their compression. All header blocks one endpoint
 * sends form a single zlib stream (primed with the SPDY dictionary) that lives as long as
 * the connection, each block ending with a sync flush; the receiver mirrors it with one
 * inflate stream. Frames must leave in the order their blocks were compressed, so this has
 * to be synchronous, and Node's zlib offers no synchronous call that keeps a stream open.
 * It need not: at a sync-flush boundary the whole state of a deflate stream is its history
 * window (the last 32 KiB of uncompressed text, the dictionary at first), because no block
 * spans the boundary. So each block is a raw deflate (or inflate) primed with that window,
 * and only the stream's first bytes carry the zlib header naming the SPDY dictionary.
 */
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.ts';
import { SpdyProtocolError } from './frames.ts';

const WINDOW = 32 * 1024;

function slide(window: Buffer, text: Buffer): Buffer {
  const joined = Buffer.concat([window, text]);
  return joined.length > WINDOW ? joined.subarray(joined.length - WINDOW) : joined;
}

/** Header names are lowercase on the wire (Go's reader refuses others); several values of one name are NUL-joined. */
export type SpdyHeaders = Record<string, string>;

interface SyncZlib {
  _processChunk(chunk: Buffer, flushFlag: number): Buffer;
  close(): void;
}

function syncEngine(engine: zlib.Deflate | zlib.Inflate): SyncZlib {
  const candidate = engine as unknown as Partial<SyncZlib>;
  if (typeof candidate._processChunk !== 'function') throw new Error('this Node.js has no synchronous zlib chunk processing');
  return engine as unknown as SyncZlib;
}

/** The uncompressed block: 32-bit pair count, then per pair 32-bit length + name, 32-bit length + value. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  const entries = Object.entries(headers);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, value] of entries) {
    for (const text of [name.toLowerCase(), value]) {
      const bytes = Buffer.from(text, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      parts.push(length, bytes);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let at = 0;
  const read = (): string => {
    if (at + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const length = block.readUInt32BE(at);
    if (at + 4 + length > block.length) throw new SpdyProtocolError('truncated header block');
    const text = block.toString('utf8', at + 4, at + 4 + length);
    at += 4 + length;
    return text;
  };
  if (block.length < 4) throw new SpdyProtocolError('truncated header block');
  const count = block.readUInt32BE(0);
  at = 4;
  const headers: SpdyHeaders = {};
  for (let i = 0; i < count; i++) {
    const name = read();
    headers[name.toLowerCase()] = read();
  }
  return headers;
}

export class HeaderCompressor {
  private window: Buffer = SPDY3_DICTIONARY;
  private started = false;

  compress(headers: SpdyHeaders): Buffer {
    const text = encodeHeaderBlock(headers);
    const body = zlib.deflateRawSync(text, { dictionary: this.window, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    this.window = slide(this.window, text);
    if (this.started) return body;
    this.started = true;
    return Buffer.concat([ZLIB_HEADER, body]);
  }
}

/** CMF, FLG (with FDICT) and the dictionary's Adler-32, as zlib writes them for the SPDY dictionary. */
const ZLIB_HEADER = zlib.deflateSync(Buffer.alloc(0), { dictionary: SPDY3_DICTIONARY }).subarray(0, 6);

export class HeaderDecompressor {
  private window: Buffer = SPDY3_DICTIONARY;
  private started = false;

  decompress(block: Buffer): SpdyHeaders {
    // An empty block (some peers send SYN_REPLY without one) carries no headers and no zlib bytes.
    if (block.length === 0) return {};
    let body = block;
    if (!this.started) {
      if (block.length < 2 || (block.readUInt16BE(0) % 31 !== 0) || (block[0]! & 0x0f) !== 8) throw new SpdyProtocolError('header block does not start a zlib stream');
      body = block.subarray(block[1]! & 0x20 ? 6 : 2);
      this.started = true;
    }
    let text: Buffer;
    try {
      text = zlib.inflateRawSync(body, { dictionary: this.window, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch (err) {
      throw new SpdyProtocolError(`header block does not decompress: ${(err as Error).message}`);
    }
    this.window = slide(this.window, text);
    return decodeHeaderBlock(text);
  }
}
