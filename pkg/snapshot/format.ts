/**
 * The snapshot file: a logical copy of the whole keyspace at one revision, the same for both
 * datastores, so a snapshot of either restores into either (that is the migration path).
 *
 *   "TSKSNAP1\n"                 magic
 *   <header JSON>\n              SnapshotHeader, never compressed: `ls` reads only this
 *   body                         records, gzip'ed when header.compressed
 *
 * Records: 'L' lease (f64 id, f64 ttl); 'K' key (u32 length + key bytes, u32 length + value,
 * f64 createRevision, modRevision, version, lease); 'E' end (f64 keys, f64 leases, sha256 of
 * every body byte before the 'E'). Numbers are doubles: revisions and lease ids stay below
 * 2^53 here. A file without its 'E' record, or with a wrong sum, is refused as truncated.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { once } from 'node:events';
import zlib from 'node:zlib';
import type { KeyValue } from '../kv/types.ts';
import { keyFromBytes, keyToBytes } from '../kv/keys.ts';
import { SnapshotError } from './errors.ts';

export const MAGIC = 'TSKSNAP1\n';

export interface SnapshotHeader {
  format: 1;
  /** The datastore it was taken from. */
  source: 'sqlite' | 'etcd';
  revision: number;
  compactRevision: number;
  /** ISO time the snapshot was pinned. */
  created: string;
  node: string;
  tskVersion: string;
  compressed: boolean;
}

export interface LeaseRecord {
  id: number;
  ttl: number;
}

export type SnapshotRecord = { type: 'lease'; lease: LeaseRecord } | { type: 'kv'; kv: KeyValue };

/** Streams records into a file; `finish` writes the end record, fsyncs and closes. */
export class SnapshotWriter {
  private readonly hash = crypto.createHash('sha256');
  private readonly out: fs.WriteStream;
  private readonly body: NodeJS.WritableStream;
  private readonly gzip: zlib.Gzip | undefined;
  private keys = 0;
  private leases = 0;
  private failed: Error | undefined;

  constructor(readonly file: string, header: SnapshotHeader) {
    this.out = fs.createWriteStream(file, { mode: 0o600, flags: 'wx' });
    this.out.on('error', (err) => (this.failed ??= err));
    this.out.write(`${MAGIC}${JSON.stringify(header)}\n`);
    if (header.compressed) {
      this.gzip = zlib.createGzip({ level: 6 });
      this.gzip.on('error', (err) => (this.failed ??= err));
      this.gzip.pipe(this.out);
    }
    this.body = this.gzip ?? this.out;
  }

  async lease(lease: LeaseRecord): Promise<void> {
    const b = Buffer.allocUnsafe(17);
    b.write('L', 0, 'latin1');
    b.writeDoubleBE(lease.id, 1);
    b.writeDoubleBE(lease.ttl, 9);
    this.leases++;
    await this.write(b);
  }

  async kv(kv: KeyValue): Promise<void> {
    const key = keyToBytes(kv.key);
    const b = Buffer.allocUnsafe(1 + 4 + key.length + 4 + kv.value.length + 32);
    let o = b.write('K', 0, 'latin1');
    o = b.writeUInt32BE(key.length, o);
    o += key.copy(b, o);
    o = b.writeUInt32BE(kv.value.length, o);
    o += kv.value.copy(b, o);
    o = b.writeDoubleBE(kv.createRevision, o);
    o = b.writeDoubleBE(kv.modRevision, o);
    o = b.writeDoubleBE(kv.version, o);
    b.writeDoubleBE(kv.lease, o);
    this.keys++;
    await this.write(b);
  }

  /** Ends the file; returns the number of keys written. */
  async finish(): Promise<{ keys: number; leases: number }> {
    const end = Buffer.allocUnsafe(17);
    end.write('E', 0, 'latin1');
    end.writeDoubleBE(this.keys, 1);
    end.writeDoubleBE(this.leases, 9);
    this.hash.update(end);
    await this.flushChunk();
    this.body.write(Buffer.concat([end, this.hash.digest()]));
    this.body.end();
    if (!this.out.writableFinished) await once(this.out, 'finish');
    if (this.failed) throw this.failed;
    // On the thread pool: a synchronous fsync of a large file would stall the server.
    const handle = await fs.promises.open(this.file, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { keys: this.keys, leases: this.leases };
  }

  /** Stops writing (the caller removes the file). */
  abort(): void {
    this.gzip?.destroy();
    this.out.destroy();
  }

  /** Records are gathered into chunks of this size: one write per record made gzip crawl. */
  private static readonly CHUNK = 256 * 1024;
  private chunk: Buffer[] = [];
  private chunkBytes = 0;

  private async write(b: Buffer): Promise<void> {
    if (this.failed) throw this.failed;
    this.hash.update(b);
    this.chunk.push(b);
    this.chunkBytes += b.length;
    if (this.chunkBytes >= SnapshotWriter.CHUNK) await this.flushChunk();
  }

  private async flushChunk(): Promise<void> {
    if (this.chunk.length === 0) return;
    const data = Buffer.concat(this.chunk);
    this.chunk = [];
    this.chunkBytes = 0;
    if (!this.body.write(data)) await once(this.body as NodeJS.EventEmitter, 'drain');
  }
}

/** The header of a snapshot file, reading only its first bytes. */
export function readHeader(file: string): { header: SnapshotHeader; bodyOffset: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('latin1');
    const nl = text.indexOf('\n', MAGIC.length);
    if (!text.startsWith(MAGIC) || nl < 0) throw new SnapshotError('bad-file', `${file} is not a tsk snapshot`);
    let header: SnapshotHeader;
    try {
      header = JSON.parse(text.slice(MAGIC.length, nl)) as SnapshotHeader;
    } catch (err) {
      throw new SnapshotError('bad-file', `${file}: the snapshot header is not valid JSON`, { cause: err });
    }
    if (header.format !== 1) throw new SnapshotError('bad-file', `${file}: snapshot format ${String(header.format)} is not one this tsk reads (1)`);
    return { header, bodyOffset: nl + 1 };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The records of a snapshot, streamed; throws SnapshotError('bad-file') at the end if the file
 * was cut short or altered. A consumer must treat what it received as void in that case.
 */
export async function* readRecords(file: string): AsyncGenerator<SnapshotRecord> {
  const { header, bodyOffset } = readHeader(file);
  const raw = fs.createReadStream(file, { start: bodyOffset, highWaterMark: 1 << 20 });
  const stream: AsyncIterable<Buffer> = header.compressed ? raw.pipe(zlib.createGunzip()) : raw;
  const hash = crypto.createHash('sha256');
  let pending: Buffer = Buffer.alloc(0);
  let counts = { keys: 0, leases: 0 };
  const bad = (why: string) => new SnapshotError('bad-file', `${file}: ${why}`);
  try {
    for await (const chunk of stream) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let o = 0;
      for (;;) {
        const parsed = parseRecord(pending, o);
        if (!parsed) break;
        if (parsed.type === 'end') {
          hash.update(pending.subarray(o, o + 17));
          const sum = pending.subarray(o + 17, o + 49);
          if (!hash.digest().equals(sum)) throw bad('the snapshot checksum does not match (the file is damaged)');
          if (parsed.keys !== counts.keys || parsed.leases !== counts.leases) throw bad('the snapshot record counts do not match');
          return;
        }
        hash.update(pending.subarray(o, parsed.next));
        o = parsed.next;
        if (parsed.type === 'kv') counts = { ...counts, keys: counts.keys + 1 };
        else counts = { ...counts, leases: counts.leases + 1 };
        yield parsed.record;
      }
      pending = pending.subarray(o);
    }
  } catch (err) {
    if (err instanceof SnapshotError) throw err;
    throw bad(`cannot read the snapshot: ${(err as Error).message}`);
  } finally {
    raw.destroy();
  }
  throw bad('the snapshot is truncated (no end record)');
}

type Parsed =
  | { type: 'kv' | 'lease'; record: SnapshotRecord; next: number }
  | { type: 'end'; keys: number; leases: number };

/** Revisions, versions, lease ids and TTLs: what a damaged byte would most likely turn into something else. */
function isCount(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 0;
}

function parseRecord(b: Buffer, o: number): Parsed | undefined {
  if (b.length - o < 1) return undefined;
  const tag = String.fromCharCode(b[o]!);
  if (tag === 'L') {
    if (b.length - o < 17) return undefined;
    const lease = { id: b.readDoubleBE(o + 1), ttl: b.readDoubleBE(o + 9) };
    if (!isCount(lease.id) || !isCount(lease.ttl)) throw new SnapshotError('bad-file', 'a snapshot lease record is damaged');
    return { type: 'lease', record: { type: 'lease', lease }, next: o + 17 };
  }
  if (tag === 'E') {
    if (b.length - o < 49) return undefined;
    return { type: 'end', keys: b.readDoubleBE(o + 1), leases: b.readDoubleBE(o + 9) };
  }
  if (tag !== 'K') throw new SnapshotError('bad-file', `unknown snapshot record ${JSON.stringify(tag)}`);
  if (b.length - o < 5) return undefined;
  const keyLen = b.readUInt32BE(o + 1);
  if (b.length - o < 9 + keyLen) return undefined;
  const valueLen = b.readUInt32BE(o + 5 + keyLen);
  const end = o + 9 + keyLen + valueLen + 32;
  if (b.length < end) return undefined;
  const v = o + 9 + keyLen;
  const n = v + valueLen;
  const kv: KeyValue = {
    key: keyFromBytes(b.subarray(o + 5, o + 5 + keyLen)),
    value: Buffer.from(b.subarray(v, n)),
    createRevision: b.readDoubleBE(n),
    modRevision: b.readDoubleBE(n + 8),
    version: b.readDoubleBE(n + 16),
    lease: b.readDoubleBE(n + 24),
  };
  for (const x of [kv.createRevision, kv.modRevision, kv.version, kv.lease]) if (!isCount(x)) throw new SnapshotError('bad-file', 'a snapshot record is damaged');
  return { type: 'kv', record: { type: 'kv', kv }, next: end };
}
