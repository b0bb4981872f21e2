/**
 * A SPDY/3.1 session over any byte duplex (a TCP or TLS socket after an HTTP upgrade, or the
 * WebSocket tunnel of port-forward), as client or server. Streams are SpdyStream duplexes.
 *
 * Flow control: Kubernetes' SPDY peers (moby/spdystream in kubectl, the kubelet, containerd)
 * neither send WINDOW_UPDATE nor honour it; they rely on TCP. So this session never stops
 * sending for want of window (it would stall forever against them), and it takes its own
 * back-pressure from TCP too: it stops reading the transport while a stream's buffer is
 * full. It replenishes windows only for a peer that shows it counts them (it sent SETTINGS
 * or WINDOW_UPDATE): to the others a WINDOW_UPDATE is not just useless but harmful, since
 * one that reaches a server closing right after its last write makes the kernel reset the
 * connection and throw away whatever we had not read yet.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  encodeFrame, FLAG_FIN, FrameReader, RstStatus, SpdyProtocolError, type Frame,
} from './frames.ts';
import { HeaderCompressor, HeaderDecompressor, type SpdyHeaders } from './headers.ts';
import { SpdyStream, type StreamOwner } from './stream.ts';

export interface SpdySessionOptions {
  /** Clients open odd stream ids and pings, servers even ones (draft 3, section 2.3.2). */
  client: boolean;
  /** Called for each stream the peer opens, after the session answered it with SYN_REPLY. */
  onStream?: (stream: SpdyStream) => void;
}

/** SPDY's initial window; WINDOW_UPDATE goes out when half of it has been received. */
const WINDOW = 64 * 1024;
const MAX_DATA_FRAME = 32 * 1024;
const GOAWAY_PROTOCOL_ERROR = 1;

export class SpdySession extends EventEmitter implements StreamOwner {
  private readonly streams = new Map<number, SpdyStream>();
  private readonly reader = new FrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly blocked = new Set<SpdyStream>();
  private readonly unacknowledged = new Map<number, number>();
  private readonly pings = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextStreamId: number;
  private nextPingId: number;
  private lastPeerStreamId = 0;
  private goingAway = false;
  private peerCountsWindows = false;
  private closedWith: Error | undefined;

  constructor(private readonly transport: Duplex, private readonly options: SpdySessionOptions) {
    super();
    this.nextStreamId = options.client ? 1 : 2;
    this.nextPingId = options.client ? 1 : 2;
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('end', () => this.terminate(new Error('SPDY connection closed by the peer')));
    transport.on('close', () => this.terminate(new Error('SPDY connection closed')));
    transport.on('error', (err: Error) => this.terminate(err));
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  /** Opens a stream (SYN_STREAM). Writes wait for the peer's SYN_REPLY; `stream.replied` tells when it came. */
  openStream(headers: SpdyHeaders, options: { fin?: boolean } = {}): SpdyStream {
    if (this.closedWith) throw this.closedWith;
    if (this.goingAway) throw new Error('SPDY session is going away');
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers, true);
    this.streams.set(id, stream);
    this.write({
      type: 'syn_stream', streamId: id, associatedId: 0, priority: 0,
      flags: options.fin ? FLAG_FIN : 0, headerBlock: this.compressor.compress(headers),
    });
    if (options.fin) stream.end();
    return stream;
  }

  /** Round trip of a PING; resolves when the peer echoes it. */
  ping(): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextPingId;
    this.nextPingId = (this.nextPingId + 2) % 0x100000000;
    return new Promise((resolve, reject) => {
      this.pings.set(id, { resolve, reject });
      this.write({ type: 'ping', id });
    });
  }

  /** Graceful close: GOAWAY now, the connection ends once the open streams are done. */
  close(): void {
    if (this.closedWith || this.goingAway) return;
    this.goingAway = true;
    this.write({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: 0 });
    this.endIfIdle();
  }

  /** Abrupt close: every stream ends, the connection is destroyed. */
  destroy(err?: Error): void {
    this.terminate(err ?? new Error('SPDY session destroyed'));
    this.transport.destroy();
  }

  // ----- StreamOwner: what streams ask of the session -----

  sendData(stream: SpdyStream, data: Buffer, fin: boolean, done: (err?: Error | null) => void): void {
    if (this.closedWith) return done(this.closedWith);
    let ok = true;
    let at = 0;
    do {
      const piece = data.subarray(at, at + MAX_DATA_FRAME);
      at += piece.length;
      const last = at >= data.length;
      ok = this.write({ type: 'data', streamId: stream.id, flags: last && fin ? FLAG_FIN : 0, data: piece }) && ok;
    } while (at < data.length);
    if (ok) return done();
    // Wait for the transport to take more, or to die (then the write fails).
    const settle = () => {
      this.transport.off('drain', settle);
      this.transport.off('close', settle);
      done(this.closedWith ?? null);
    };
    this.transport.on('drain', settle);
    this.transport.on('close', settle);
  }

  sendReset(stream: SpdyStream, status: number): void {
    if (!this.closedWith) this.write({ type: 'rst_stream', streamId: stream.id, status });
  }

  readResumed(stream: SpdyStream): void {
    if (this.blocked.delete(stream) && this.blocked.size === 0) this.transport.resume();
  }

  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    this.unacknowledged.delete(stream.id);
    this.readResumed(stream);
    this.endIfIdle();
  }

  // ----- receiving -----

  private receive(chunk: Buffer): void {
    try {
      for (const frame of this.reader.push(chunk)) {
        if (this.closedWith) return;
        this.handle(frame);
      }
    } catch (err) {
      if (!(err instanceof SpdyProtocolError)) throw err;
      this.write({ type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: GOAWAY_PROTOCOL_ERROR });
      this.terminate(err);
    }
  }

  private handle(frame: Frame): void {
    switch (frame.type) {
      case 'data':
        return this.onData(frame.streamId, frame.data, (frame.flags & FLAG_FIN) !== 0);
      case 'syn_stream':
        return this.onSynStream(frame.streamId, frame.flags, this.decompressor.decompress(frame.headerBlock));
      case 'syn_reply': {
        const headers = this.decompressor.decompress(frame.headerBlock);
        const stream = this.streams.get(frame.streamId);
        stream?.onReply(headers);
        if (frame.flags & FLAG_FIN) stream?.onRemoteFin();
        return;
      }
      case 'headers': {
        const headers = this.decompressor.decompress(frame.headerBlock);
        const stream = this.streams.get(frame.streamId);
        stream?.emit('headers', headers);
        if (frame.flags & FLAG_FIN) stream?.onRemoteFin();
        return;
      }
      case 'rst_stream':
        return this.streams.get(frame.streamId)?.onReset(frame.status);
      case 'ping':
        if ((frame.id & 1) !== (this.nextPingId & 1)) this.write(frame); // the peer's ping: echo it
        else {
          this.pings.get(frame.id)?.resolve();
          this.pings.delete(frame.id);
        }
        return;
      case 'goaway':
        this.goingAway = true;
        return this.endIfIdle();
      case 'settings':
      case 'window_update':
        this.peerCountsWindows = true;
        return; // see the flow-control note at the top
      case 'unknown':
        return;
    }
  }

  private onSynStream(id: number, flags: number, headers: SpdyHeaders): void {
    const peerParity = this.options.client ? 0 : 1;
    if (id === 0 || (id & 1) !== peerParity || id <= this.lastPeerStreamId) {
      this.write({ type: 'rst_stream', streamId: id, status: RstStatus.ProtocolError });
      return;
    }
    this.lastPeerStreamId = id;
    if (this.goingAway) {
      this.write({ type: 'rst_stream', streamId: id, status: RstStatus.RefusedStream });
      return;
    }
    const stream = new SpdyStream(this, id, headers, false);
    this.streams.set(id, stream);
    this.write({ type: 'syn_reply', streamId: id, flags: 0, headerBlock: this.compressor.compress({}) });
    if (flags & FLAG_FIN) stream.onRemoteFin();
    this.options.onStream?.(stream);
  }

  private onData(id: number, data: Buffer, fin: boolean): void {
    const stream = this.streams.get(id);
    if (!stream) return; // a stream we already reset or finished; its late frames are harmless
    if (!stream.onData(data)) {
      this.blocked.add(stream);
      this.transport.pause();
    }
    this.acknowledge(id, data.length);
    this.acknowledge(0, data.length);
    if (fin) stream.onRemoteFin();
  }

  private acknowledge(id: number, bytes: number): void {
    if (!this.peerCountsWindows) return;
    const total = (this.unacknowledged.get(id) ?? 0) + bytes;
    if (total < WINDOW / 2) {
      this.unacknowledged.set(id, total);
      return;
    }
    this.unacknowledged.set(id, 0);
    this.write({ type: 'window_update', streamId: id, delta: total });
  }

  // ----- the connection -----

  private write(frame: Frame): boolean {
    if (this.closedWith || this.transport.writableEnded || this.transport.destroyed) return true;
    return this.transport.write(encodeFrame(frame));
  }

  private endIfIdle(): void {
    if (!this.goingAway || this.streams.size > 0 || this.closedWith) return;
    this.transport.end();
    this.terminate(new Error('SPDY session closed'));
  }

  private terminate(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const stream of [...this.streams.values()]) stream.onSessionClosed(err);
    this.streams.clear();
    for (const ping of this.pings.values()) ping.reject(err);
    this.pings.clear();
    if (!this.transport.writableEnded) this.transport.end();
    this.transport.resume();
    this.emit('close', err);
  }
}
