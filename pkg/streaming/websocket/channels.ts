/**
 * The server side of Kubernetes' WebSocket channel protocols for exec and attach
 * (v4.channel.k8s.io, and v5.channel.k8s.io that kubectl 1.30+ speaks). Every binary message
 * starts with a channel byte: 0 stdin, 1 stdout, 2 stderr, 3 error (a metav1.Status as JSON),
 * 4 resize (JSON {"Width","Height"}). v5 adds channel 255: a message [255, n] means the
 * sender will write nothing more on channel n (how kubectl says stdin reached EOF).
 */
import type http from 'node:http';
import { PassThrough, Writable, type Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { headerValues, refuseUpgrade } from '../upgrade.ts';

export const V5_CHANNEL_PROTOCOL = 'v5.channel.k8s.io';
export const V4_CHANNEL_PROTOCOL = 'v4.channel.k8s.io';

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** True for a request asking to switch to WebSocket (as opposed to SPDY). */
export function isWebSocketUpgrade(req: http.IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/**
 * Completes a WebSocket upgrade with the first of `protocols` the client offers. Without a
 * shared subprotocol the upgrade is refused with 400 (kubectl then falls back to SPDY).
 */
export function acceptWebSocket(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocols: string[],
): Promise<{ ws: WebSocket; protocol: string } | undefined> {
  const offered = headerValues(req.headers['sec-websocket-protocol']);
  const protocol = protocols.find((p) => offered.includes(p));
  if (!isWebSocketUpgrade(req) || !protocol) {
    refuseUpgrade(socket, 400, `unable to upgrade: the client offers [${offered.join(' ')}], the server speaks [${protocols.join(' ')}]`);
    return Promise.resolve(undefined);
  }
  // kubectl's port-forward tunnel offers "SPDY/3.1+portforward.k8s.io"; ws refuses to parse a
  // "/" in the offer (RFC 6455 tokens exclude it), though it answers any name it is given.
  // The choice is made already, so hand ws a stand-in it can parse.
  req.headers['sec-websocket-protocol'] = 'chosen';
  return new Promise((resolve) => {
    const ws = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: () => protocol });
    ws.handleUpgrade(req, socket, head, (client) => {
      ws.close();
      resolve({ ws: client, protocol });
    });
  });
}

/** An accepted channel-protocol WebSocket, its channels as Node streams. */
export class ChannelConnection {
  private readonly readers = new Map<number, PassThrough>();
  private readonly closed: Promise<void>;

  /**
   * `readable` names the channels the client may write (stdin, resize): their readers exist
   * from the start, so that nothing the client sends early is lost while the bridge is still
   * dialing the backend. Messages on other channels are dropped.
   */
  constructor(readonly ws: WebSocket, readonly protocol: string, readable: number[]) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    for (const channel of readable) {
      const reader = new PassThrough();
      reader.on('drain', () => this.ws.resume());
      this.readers.set(channel, reader);
    }
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    ws.on('close', () => {
      for (const reader of this.readers.values()) reader.end();
    });
    ws.on('error', () => ws.terminate());
  }

  /** What the client sends on `channel` (one of `readable`); it ends on v5's close signal or when the socket closes. */
  reader(channel: number): Readable {
    const reader = this.readers.get(channel);
    if (!reader) throw new Error(`channel ${channel} was not declared readable`);
    return reader;
  }

  /** A writable whose every chunk becomes one message on `channel`. */
  writer(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => this.send(channel, chunk).then(() => done(), done),
    });
  }

  send(channel: number, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== this.ws.OPEN) return reject(new Error('the WebSocket is closed'));
      this.ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Closes the WebSocket (normal closure) and resolves once it is closed. */
  close(): Promise<void> {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(1000);
    return this.closed;
  }

  /** Resolves when the WebSocket closes, from either side. */
  whenClosed(): Promise<void> {
    return this.closed;
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (!isBinary || data.length === 0) return;
    const channel = data[0]!;
    if (channel === Channel.close && this.protocol === V5_CHANNEL_PROTOCOL) {
      if (data.length > 1) this.readers.get(data[1]!)?.end();
      return;
    }
    const reader = this.readers.get(channel);
    // A slow consumer holds the client back: stop reading the socket until the reader drains.
    if (reader && !reader.writableEnded && !reader.write(data.subarray(1))) this.ws.pause();
  }
}
