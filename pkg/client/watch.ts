/**
 * One watch response as an async iterable of events: newline-delimited JSON, buffered while
 * the consumer is busy (the HTTP/2 stream is paused past a bound, so a slow consumer pushes
 * back on the server instead of growing memory).
 */
import http2 from 'node:http2';
import type { KObject } from '../api/types.ts';
import { ClientError, type Status } from './errors.ts';

export type WatchEvent<T extends KObject = KObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

const HIGH_WATER = 256;

export class WatchStream<T extends KObject = KObject> implements AsyncIterable<WatchEvent<T>> {
  private readonly queue: WatchEvent<T>[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  private failure: ClientError | undefined;
  private partial = '';
  private code = 0;
  private errorBody = '';

  constructor(private readonly stream: http2.ClientHttp2Stream) {
    stream.setEncoding('utf8');
    stream.on('response', (h) => (this.code = Number(h[':status'])));
    stream.on('data', (chunk: string) => this.onData(chunk));
    stream.on('error', (err) => this.finish(ClientError.connection(err)));
    stream.on('close', () => {
      if (this.code === 0) this.finish(ClientError.connection(new Error('watch: no answer')));
      else if (this.code >= 300) this.finish(ClientError.fromResponse(this.code, this.errorBody));
      else this.finish();
    });
  }

  /** Ends the watch; a pending or later `next()` returns done. */
  stop(): void {
    this.finish();
    if (!this.stream.closed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>> {
    try {
      for (;;) {
        const event = this.queue.shift();
        if (event) {
          if (this.queue.length < HIGH_WATER / 2 && this.stream.isPaused()) this.stream.resume();
          yield event;
          continue;
        }
        if (this.ended) {
          if (this.failure) throw this.failure;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.stop();
    }
  }

  private onData(chunk: string): void {
    if (this.code >= 300) {
      this.errorBody += chunk;
      return;
    }
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        this.queue.push(JSON.parse(line) as WatchEvent<T>);
      } catch {
        this.finish(new ClientError(this.code, { message: `watch: undecodable event: ${line.slice(0, 200)}` }));
        this.stream.close(http2.constants.NGHTTP2_CANCEL);
        return;
      }
    }
    if (this.queue.length >= HIGH_WATER) this.stream.pause();
    this.signal();
  }

  private finish(failure?: ClientError): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
