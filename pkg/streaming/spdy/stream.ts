/**
 * One SPDY stream as a Node Duplex: what the peer sends on it is readable, what is written
 * goes out in DATA frames, end() sends FIN (half-close), destroy() while the peer is still
 * sending sends RST_STREAM CANCEL. The session owns the wire; the stream only asks it to send.
 */
import { Duplex } from 'node:stream';
import type { SpdyHeaders } from './headers.ts';

/** What a stream needs from its session (kept narrow so the two files do not know each other's internals). */
export interface StreamOwner {
  sendData(stream: SpdyStream, data: Buffer, fin: boolean, done: (err?: Error | null) => void): void;
  sendReset(stream: SpdyStream, status: number): void;
  readResumed(stream: SpdyStream): void;
  forget(stream: SpdyStream): void;
}

export class SpdyStreamResetError extends Error {
  override name = 'SpdyStreamResetError';
  constructor(readonly streamId: number, readonly status: number) {
    super(`SPDY stream ${streamId} was reset by the peer (status ${status})`);
  }
}

export class SpdyStream extends Duplex {
  /** The peer's SYN_REPLY headers, once it replied (locally opened streams only). */
  replyHeaders: SpdyHeaders | undefined;
  /** The status of the peer's RST_STREAM, if it reset the stream. */
  resetStatus: number | undefined;
  /** Settles when the peer answers SYN_STREAM (SYN_REPLY) or refuses it (RST_STREAM). */
  readonly replied: Promise<SpdyHeaders>;
  private settleReply!: (headers: SpdyHeaders) => void;
  private failReply!: (err: Error) => void;
  private waitingForReply: boolean;
  private queued: { data: Buffer; fin: boolean; done: (err?: Error | null) => void }[] = [];
  private remoteDone = false;
  private localDone = false;
  private deadWith: Error | undefined;

  constructor(
    private readonly owner: StreamOwner,
    readonly id: number,
    /** The SYN_STREAM headers: ours if we opened the stream, the peer's if it did. */
    readonly headers: SpdyHeaders,
    openedLocally: boolean,
  ) {
    super({ allowHalfOpen: true });
    this.waitingForReply = openedLocally;
    this.replied = new Promise((resolve, reject) => {
      this.settleReply = resolve;
      this.failReply = reject;
    });
    // Nobody has to await `replied`: a refusal also ends the stream and fails its writes.
    this.replied.catch(() => {});
    if (!openedLocally) this.settleReply({});
  }

  /** The peer's SYN_REPLY arrived: writes queued until now may go. */
  onReply(headers: SpdyHeaders): void {
    if (!this.waitingForReply) return;
    this.waitingForReply = false;
    this.replyHeaders = headers;
    this.settleReply(headers);
    for (const item of this.queued.splice(0)) this.owner.sendData(this, item.data, item.fin, item.done);
  }

  /** Returns false when the readable buffer is full: the session then stops reading its transport until _read. */
  onData(data: Buffer): boolean {
    if (this.remoteDone || data.length === 0) return true;
    return this.push(data);
  }

  onRemoteFin(): void {
    if (this.remoteDone) return;
    this.remoteDone = true;
    this.push(null);
    // Nothing more can arrive here, and an ended stream never asks to read again (_read):
    // if its full buffer had paused the transport, release it now, or the other streams
    // (the exit status) would wait forever behind it.
    this.owner.readResumed(this);
    this.maybeForget();
  }

  /**
   * RST_STREAM from the peer. Like spdystream, treat it as the end of what the stream will
   * carry rather than a failure of what already came: Kubernetes servers reset every stream
   * right after writing the exit status, and that status must stay readable.
   */
  onReset(status: number): void {
    this.resetStatus = status;
    this.emit('reset', status);
    this.onSessionClosed(new SpdyStreamResetError(this.id, status));
    this.owner.forget(this);
  }

  /** The connection (or, on RST_STREAM, the stream) is gone: what was received stays readable, writing fails. */
  onSessionClosed(err: Error): void {
    this.deadWith = err;
    this.failReply(err);
    for (const item of this.queued.splice(0)) item.done(err);
    if (!this.remoteDone) {
      this.remoteDone = true;
      this.push(null);
    }
    this.localDone = true;
    if (!this.writableFinished) {
      // Let a reader drain what arrived before the connection closed, then release the stream.
      if (this.readableEnded) this.destroy();
      else this.once('end', () => this.destroy());
    }
  }

  override _read(): void {
    this.owner.readResumed(this);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.send(chunk, false, done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.send(Buffer.alloc(0), true, (err) => {
      this.localDone = true;
      this.maybeForget();
      done(err);
    });
  }

  override _destroy(err: Error | null, done: (err: Error | null) => void): void {
    // Cancel only what the peer is still sending. Once it sent FIN there is nothing to stop,
    // and a frame written now may meet a connection the server is closing: Kubernetes servers
    // close right after the exit status, and a write into that close makes the kernel reset
    // the connection and drop the status still unread on our side.
    if (!this.deadWith && !this.remoteDone) this.owner.sendReset(this, 5 /* CANCEL */);
    this.localDone = this.remoteDone = true;
    this.owner.forget(this);
    done(err);
  }

  private send(data: Buffer, fin: boolean, done: (err?: Error | null) => void): void {
    if (this.deadWith) return done(this.deadWith);
    if (this.waitingForReply) this.queued.push({ data, fin, done });
    else this.owner.sendData(this, data, fin, done);
  }

  private maybeForget(): void {
    if (this.localDone && this.remoteDone) this.owner.forget(this);
  }
}
