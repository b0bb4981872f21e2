/**
 * Requests of one bidirectional stream, handled one at a time in arrival order (etcd handles
 * a stream's requests in order too). Reading pauses while many are waiting, so a client that
 * floods a stream is slowed by HTTP/2 flow control instead of growing server memory.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { logger } from '../log/log.ts';
import { isExpectedError, toServiceError } from './errors.ts';

const log = logger('etcdapi');
const PAUSE_AT = 256;
const RESUME_AT = 64;

export class RequestQueue<Req> {
  private pending: Req[] = [];
  private running = false;
  private ended = false;
  private closed = false;
  private readonly closeHandlers: Array<() => void> = [];

  /**
   * endOnHalfClose: whether the stream ends once the client stops sending. etcd ends a
   * keep-alive stream then, but keeps a watch stream delivering until the client cancels it.
   */
  constructor(
    private readonly call: ServerDuplexStream<Req, unknown>,
    private readonly handle: (req: Req) => Promise<void>,
    private readonly endOnHalfClose = true,
  ) {}

  /** Whether responses may still be written. */
  get open(): boolean {
    return !this.closed && !this.call.cancelled && !this.call.destroyed && this.call.writable;
  }

  /** Runs once when the stream ends for any reason (client end, cancel, error, server close). */
  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  start(): void {
    this.call.on('data', (req: Req) => {
      if (this.closed) return;
      this.pending.push(req);
      if (this.pending.length >= PAUSE_AT) this.call.pause();
      void this.pump();
    });
    this.call.on('end', () => {
      this.ended = true;
      void this.pump();
    });
    this.call.on('cancelled', () => this.close());
    this.call.on('error', () => this.close());
    this.call.on('close', () => this.close());
  }

  /** End the stream with an error status (an etcd error, or UNKNOWN for a bug). */
  fail(err: unknown): void {
    if (this.closed) return;
    if (!isExpectedError(err)) log.warn(`${this.call.getPath()} stream failed: ${(err as Error)?.stack ?? String(err)}`);
    const open = this.open;
    this.close();
    if (open) this.call.emit('error', toServiceError(err));
  }

  /** End the stream with OK, e.g. when the server shuts down. */
  finish(): void {
    const open = this.open;
    this.close();
    if (open) this.call.end();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.length > 0 && !this.closed) {
        const req = this.pending.shift()!;
        if (this.pending.length === RESUME_AT) this.call.resume();
        try {
          await this.handle(req);
        } catch (err) {
          this.fail(err);
          return;
        }
      }
    } finally {
      this.running = false;
    }
    if (this.ended && this.endOnHalfClose && !this.closed) this.finish();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    for (const handler of this.closeHandlers.splice(0)) {
      try {
        handler();
      } catch (err) {
        log.warn(`stream close handler failed: ${(err as Error).message}`);
      }
    }
  }
}
