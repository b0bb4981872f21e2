/**
 * exec and attach between kubectl and a backend that speaks SPDY (containerd's streaming
 * server, or a kubelet that passes the bytes on to it). kubectl 1.30+ arrives over WebSocket
 * (v5.channel.k8s.io, or v4): its channels are translated stream by stream into a SPDY
 * session using remotecommand v4, as Kubernetes' StreamTranslator does. kubectl ≤1.29 arrives
 * over SPDY already and gets a byte pipe.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { text } from 'node:stream/consumers';
import type { SpdyStream } from './spdy/stream.ts';
import { dialSpdy } from './spdy/upgrade.ts';
import { failureStatus, SUCCESS_STATUS } from './status.ts';
import { proxyUpgrade } from './upgradeproxy.ts';
import type { Backend } from './upgrade.ts';
import {
  acceptWebSocket, Channel, ChannelConnection, isWebSocketUpgrade, V4_CHANNEL_PROTOCOL, V5_CHANNEL_PROTOCOL,
} from './websocket/channels.ts';

/** The streams an exec or attach has, from its query (?stdin=…&stdout=…&stderr=…&tty=…). */
export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The SPDY dialect spoken towards the backend: v4 carries exit codes in the error stream's Status, and resize. */
export const REMOTECOMMAND_SPDY_PROTOCOL = 'v4.channel.k8s.io';

/**
 * Serves an exec/attach upgrade request by bridging it to `backend` (a streaming URL). Call
 * from an HTTP server's 'upgrade' handler after authorizing the request. Resolves when the
 * session is over; every failure is reported to the client, never thrown.
 */
export async function bridgeRemoteCommand(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  backend: Backend,
  options: RemoteCommandOptions,
): Promise<void> {
  if (!isWebSocketUpgrade(req)) return proxyUpgrade(req, socket, head, backend);
  const accepted = await acceptWebSocket(req, socket, head, [V5_CHANNEL_PROTOCOL, V4_CHANNEL_PROTOCOL]);
  if (!accepted) return;
  const readable = [...(options.stdin ? [Channel.stdin] : []), ...(options.tty ? [Channel.resize] : [])];
  const client = new ChannelConnection(accepted.ws, accepted.protocol, readable);
  // Once its streams are set up, the kubelet sends an empty message on the lowest channel the
  // client reads; clients may wait for it, so do the same.
  const first = options.stdout ? Channel.stdout : options.stderr && !options.tty ? Channel.stderr : Channel.error;
  await client.send(first, Buffer.alloc(0)).catch(() => {});
  await translate(client, backend, options);
}

async function translate(client: ChannelConnection, backend: Backend, options: RemoteCommandOptions): Promise<void> {
  let connection;
  try {
    connection = await dialSpdy(backend, [REMOTECOMMAND_SPDY_PROTOCOL]);
  } catch (err) {
    await finish(client, failureStatus(err));
    return;
  }
  const { session } = connection;
  const open = (streamtype: string): SpdyStream => {
    const stream = session.openStream({ streamtype });
    // Writes after the backend reset or closed a stream fail quietly: the session's end settles everything.
    stream.on('error', () => {});
    return stream;
  };
  // The order kubectl uses; the backend counts them and starts the command once all arrived.
  const error = open('error');
  const stdin = options.stdin ? open('stdin') : undefined;
  const stdout = options.stdout ? open('stdout') : undefined;
  const stderr = options.stderr && !options.tty ? open('stderr') : undefined;
  const resize = options.tty ? open('resize') : undefined;

  if (stdin) client.reader(Channel.stdin).pipe(stdin);
  if (resize) client.reader(Channel.resize).pipe(resize);
  const outputs = [
    stdout && forward(stdout, client, Channel.stdout),
    stderr && forward(stderr, client, Channel.stderr),
  ];
  // kubectl gone (Ctrl-C, lost connection): tear the backend session down.
  void client.whenClosed().then(() => session.destroy());

  const status = await text(error).catch(() => '');
  await Promise.all(outputs);
  session.destroy();
  await finish(client, status.trim() === '' ? SUCCESS_STATUS : Buffer.from(status));
}

/** Copies a backend output stream to a channel, one message per chunk; resolves once all of it was sent. */
function forward(stream: SpdyStream, client: ChannelConnection, channel: number): Promise<void> {
  const writer = client.writer(channel);
  stream.pipe(writer);
  // A stream torn down without FIN still has to let the status go out.
  stream.once('close', () => writer.end());
  return new Promise((resolve) => {
    writer.once('finish', () => resolve());
    writer.once('error', () => resolve());
  });
}

/** The error channel carries the final Status, then the socket closes normally: kubectl reads that as the end. */
async function finish(client: ChannelConnection, status: Buffer): Promise<void> {
  await client.send(Channel.error, status).catch(() => {});
  await client.close();
}
