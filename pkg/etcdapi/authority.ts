/**
 * Go etcd clients send :authority values that Node's HTTP/2 (nghttp2) refuses with a stream
 * reset (PROTOCOL_ERROR) before gRPC sees the call: clientv3 3.4 dials each endpoint of
 * `etcdctl --endpoints=http://h:p endpoint status` (and of every --cluster command) as
 * "passthrough:///http://h:p", so the authority is "http://h:p"; clientv3 3.5.0–3.5.4 send
 * "#initially=[...]". etcd (Go's HTTP/2) accepts both. So each connection's client-to-server
 * bytes pass through this rewriter: it follows the frames, decodes every header block with
 * the connection's HPACK state, and only when an authority is not a valid one re-encodes
 * the block with a cleaned authority (from then on every block, as literals, so the server's
 * HPACK state never depends on the client's). Server-to-client bytes are untouched.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { encodeLiterals, HpackDecoder, HpackError, type HeaderField } from './hpack.ts';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER = 9;
const TYPE_HEADERS = 0x1;
const TYPE_CONTINUATION = 0x9;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
/** Every HTTP/2 peer accepts frames this large (the protocol's minimum SETTINGS_MAX_FRAME_SIZE). */
const MAX_FRAME = 16384;
/** A header block larger than this is not an etcd client's: stop buffering it. */
const MAX_HEADER_BLOCK = 1024 * 1024;

/** nghttp2's rule for :authority (RFC 3986 authority characters). */
const VALID_AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@[\]%]*$/;

export function cleanAuthority(value: string): string {
  if (VALID_AUTHORITY.test(value)) return value;
  const stripped = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '');
  return VALID_AUTHORITY.test(stripped) && stripped !== '' ? stripped : 'localhost';
}

/** Rewrites the client-to-server byte stream of one connection; see the file comment. */
export class AuthorityRewriter {
  private buffered: Buffer = Buffer.alloc(0);
  private prefaceSeen = false;
  private readonly hpack = new HpackDecoder();
  /** Once one block was re-encoded, all are (the server's HPACK table must stay empty). */
  reencoding = false;
  /** Header blocks seen so far. */
  headerBlocks = 0;
  /** SETTINGS ACKs still to remove: the ACK of a SETTINGS that acceptConnection sent itself. */
  stripSettingsAcks = 0;
  /** The HEADERS frame of a block still waiting for its CONTINUATIONs. */
  private pending: { streamId: number; flags: number; fragments: Buffer[]; raw: Buffer[]; size: number } | undefined;

  /** Returns the bytes to hand to the server; throws on input that is not HTTP/2. */
  push(chunk: Buffer): Buffer {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const out: Buffer[] = [];
    if (!this.prefaceSeen) {
      if (this.buffered.length < PREFACE.length) return Buffer.alloc(0);
      // Not HTTP/2 (or a different preface): pass it on, the server answers as it would.
      this.prefaceSeen = true;
      out.push(this.buffered.subarray(0, PREFACE.length));
      this.buffered = this.buffered.subarray(PREFACE.length);
    }
    while (this.buffered.length >= FRAME_HEADER) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < FRAME_HEADER + length) break;
      const frame = this.buffered.subarray(0, FRAME_HEADER + length);
      this.buffered = this.buffered.subarray(FRAME_HEADER + length);
      const emitted = this.frame(frame);
      if (emitted) out.push(emitted);
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  private frame(frame: Buffer): Buffer | undefined {
    const type = frame[3]!;
    const flags = frame[4]!;
    if (this.stripSettingsAcks > 0 && type === 0x4 && flags & 0x1) {
      this.stripSettingsAcks--;
      return undefined;
    }
    const streamId = frame.readUInt32BE(5) & 0x7fffffff;
    if (type === TYPE_HEADERS) {
      let payload = frame.subarray(FRAME_HEADER);
      let padding = 0;
      if (flags & FLAG_PADDED) {
        padding = payload[0] ?? 0;
        payload = payload.subarray(1);
      }
      if (flags & FLAG_PRIORITY) payload = payload.subarray(5);
      if (padding > payload.length) throw new HpackError('HEADERS padding longer than the frame');
      const fragment = payload.subarray(0, payload.length - padding);
      this.pending = { streamId, flags, fragments: [fragment], raw: [frame], size: fragment.length };
    } else if (type === TYPE_CONTINUATION && this.pending && this.pending.streamId === streamId) {
      const fragment = frame.subarray(FRAME_HEADER);
      this.pending.fragments.push(fragment);
      this.pending.raw.push(frame);
      this.pending.size += fragment.length;
      if (this.pending.size > MAX_HEADER_BLOCK) throw new HpackError('header block too large');
    } else {
      return frame;
    }
    if (!(flags & FLAG_END_HEADERS)) return undefined;
    const block = this.pending;
    this.pending = undefined;
    this.headerBlocks++;
    const fields = this.hpack.decode(Buffer.concat(block.fragments));
    const authority = fields.find((f) => f.name === ':authority');
    if (authority && cleanAuthority(authority.value) !== authority.value) this.reencoding = true;
    if (!this.reencoding) return Buffer.concat(block.raw);
    return headerFrames(block.streamId, block.flags & FLAG_END_STREAM, fields.map(clean));
  }
}

function clean(f: HeaderField): HeaderField {
  return f.name === ':authority' ? { ...f, value: cleanAuthority(f.value) } : f;
}

function headerFrames(streamId: number, endStream: number, fields: HeaderField[]): Buffer {
  const block = encodeLiterals(fields);
  const frames: Buffer[] = [];
  for (let offset = 0, first = true; first || offset < block.length; first = false) {
    const part = block.subarray(offset, offset + MAX_FRAME);
    offset += part.length;
    const last = offset >= block.length;
    const header = Buffer.alloc(FRAME_HEADER);
    header.writeUIntBE(part.length, 0, 3);
    header[3] = first ? TYPE_HEADERS : TYPE_CONTINUATION;
    header[4] = (first ? endStream : 0) | (last ? FLAG_END_HEADERS : 0);
    header.writeUInt32BE(streamId, 5);
    frames.push(header, part);
  }
  return Buffer.concat(frames);
}

/**
 * A socket whose incoming bytes go through an AuthorityRewriter, for the HTTP/2 server to
 * run a session on (grpc-js accepts such connections through a connection injector).
 */
export class RewritingConnection extends Duplex {
  /** `rewriter` and `already` carry over what a sniffer (acceptConnection) has read. */
  constructor(private readonly socket: net.Socket, private readonly rewriter = new AuthorityRewriter(), already?: Buffer) {
    super({ allowHalfOpen: false });
    socket.setNoDelay(true);
    if (already && already.length > 0) this.push(already);
    socket.on('data', (chunk: Buffer) => {
      let out: Buffer;
      try {
        out = this.rewriter.push(chunk);
      } catch (err) {
        // Not HTTP/2 we can follow: drop the connection rather than guess.
        this.destroy(err as Error);
        return;
      }
      if (out.length > 0 && !this.push(out)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (err) => this.destroy(err));
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }

  setTimeout(ms: number, callback?: () => void): this {
    this.socket.setTimeout(ms, callback);
    return this;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy(error ?? undefined);
    callback(error);
  }
}

/** How long a new connection may take to send its first request before it is rewritten anyway. */
const SNIFF_MS = 250;
const TYPE_SETTINGS = 0x4;
const FLAG_ACK = 0x1;
/** An empty SETTINGS frame: the server preface, with every setting at its default. */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, TYPE_SETTINGS, 0, 0, 0, 0, 0]);

/**
 * Hands a new connection to the HTTP/2 server. Most clients' authorities are valid, and
 * wrapping their sockets in a JS stream costs the native fast path (an eighth or more of the
 * throughput), so the first request is read before deciding: a valid authority gets the raw
 * socket, with the bytes read so far put back (Node's HTTP/2 session consumes them first); an
 * invalid one gets the rewriting connection. gRPC clients (Go and Node alike) send no request
 * before the server's preface, so this function answers the client preface with an empty
 * SETTINGS itself and removes the client's ACK of it from the stream (the HTTP/2 session, which
 * sends its own SETTINGS, would take a stray ACK as a protocol error). A Go client sends one
 * authority per connection, so the first request decides for the connection. A client silent
 * for SNIFF_MS also gets the rewriting connection, which strips the ACK whenever it comes.
 */
export function acceptConnection(socket: net.Socket, hand: (connection: Duplex) => void): void {
  const rewriter = new AuthorityRewriter();
  let buffered: Buffer = Buffer.alloc(0);
  let prefaceDone = false;
  let ackStripped = false;
  let decided = false;
  const kept: Buffer[] = [];
  const rewritten: Buffer[] = [];
  const decide = (direct: boolean) => {
    if (decided) return;
    decided = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.pause();
    if (direct) {
      socket.unshift(Buffer.concat([...kept, buffered]));
      hand(socket);
      return;
    }
    rewriter.stripSettingsAcks = prefaceDone && !ackStripped ? 1 : 0;
    try {
      rewritten.push(rewriter.push(buffered));
    } catch {
      socket.destroy();
      return;
    }
    hand(new RewritingConnection(socket, rewriter, Buffer.concat(rewritten)));
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (!prefaceDone) {
      if (buffered.length < PREFACE.length) return;
      if (!buffered.subarray(0, PREFACE.length).equals(PREFACE)) {
        decide(true); // not HTTP/2: the server answers it as it would
        return;
      }
      prefaceDone = true;
      const preface = buffered.subarray(0, PREFACE.length);
      buffered = buffered.subarray(PREFACE.length);
      kept.push(preface);
      rewritten.push(rewriter.push(preface));
      socket.write(EMPTY_SETTINGS);
    }
    while (buffered.length >= FRAME_HEADER) {
      const length = buffered.readUIntBE(0, 3);
      if (buffered.length < FRAME_HEADER + length) break;
      const frame = buffered.subarray(0, FRAME_HEADER + length);
      buffered = buffered.subarray(FRAME_HEADER + length);
      if (!ackStripped && frame[3] === TYPE_SETTINGS && (frame[4]! & FLAG_ACK)) {
        ackStripped = true;
        continue;
      }
      kept.push(frame);
      try {
        rewritten.push(rewriter.push(frame));
      } catch {
        socket.destroy(); // not HTTP/2 we can follow: drop it rather than guess
        return;
      }
    }
    if (rewriter.reencoding) decide(false);
    else if (rewriter.headerBlocks > 0 && ackStripped) decide(true);
  };
  const timer = setTimeout(() => decide(false), SNIFF_MS);
  socket.on('data', onData);
}
