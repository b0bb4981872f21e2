/**
 * For tests: the client sides kubectl plays, written against the protocols' descriptions so
 * that the bridges and the SPDY code can be checked end to end without kubectl.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { text } from 'node:stream/consumers';
import { WebSocket, createWebSocketStream } from 'ws';
import { PORT_FORWARD_TUNNEL_PROTOCOL } from './portforward.ts';
import type { RemoteCommandOptions } from './remotecommand.ts';
import { SpdySession } from './spdy/session.ts';
import { dialSpdy } from './spdy/upgrade.ts';
import { Channel, V5_CHANNEL_PROTOCOL } from './websocket/channels.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The metav1.Status from the error stream or channel. */
  status: { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
}

export interface ExecInput {
  stdin?: string;
  /** On v5, signal the end of stdin after `stdin` (default true). */
  closeStdin?: boolean;
  resize?: { Width: number; Height: number };
}

/** The exit code a Status reports, 0 for Success. */
export function exitCode(result: ExecResult): number | undefined {
  if (result.status.status === 'Success') return 0;
  // metav1.StatusCause's Type is serialized as "reason".
  const cause = result.status.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause ? Number(cause.message) : undefined;
}

/** kubectl ≤1.29: remotecommand v4 over SPDY, one stream per channel. */
export async function spdyExec(url: string, options: RemoteCommandOptions, input: ExecInput = {}): Promise<ExecResult> {
  const { session } = await dialSpdy({ url }, ['v4.channel.k8s.io']);
  const error = session.openStream({ streamtype: 'error' });
  const stdin = options.stdin ? session.openStream({ streamtype: 'stdin' }) : undefined;
  const stdout = options.stdout ? session.openStream({ streamtype: 'stdout' }) : undefined;
  const stderr = options.stderr && !options.tty ? session.openStream({ streamtype: 'stderr' }) : undefined;
  const resize = options.tty ? session.openStream({ streamtype: 'resize' }) : undefined;
  if (input.resize) resize?.write(JSON.stringify(input.resize));
  if (stdin) stdin.end(input.stdin ?? '');
  const [status, out, err] = await Promise.all([text(error), stdout ? text(stdout) : '', stderr ? text(stderr) : '']);
  session.destroy();
  return { stdout: out, stderr: err, status: JSON.parse(status) as ExecResult['status'] };
}

/** kubectl 1.30+: the channel protocol over WebSocket; on v5, stdin's end is signalled. */
export async function webSocketExec(url: string, protocol: string, input: ExecInput = {}): Promise<ExecResult & { first: number[] }> {
  const ws = new WebSocket(url, [protocol]);
  const output = new Map<number, Buffer[]>();
  const first: number[] = [];
  ws.on('message', (data: Buffer) => {
    if (first.length === 0) first.push(data[0]!, data.length - 1);
    const list = output.get(data[0]!) ?? [];
    list.push(data.subarray(1));
    output.set(data[0]!, list);
  });
  const closed = once(ws, 'close');
  await once(ws, 'open');
  if (ws.protocol !== protocol) throw new Error(`the server chose subprotocol "${ws.protocol}"`);
  const send = (channel: number, data: string | Buffer) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
  if (input.resize) send(Channel.resize, JSON.stringify(input.resize));
  if (input.stdin !== undefined) send(Channel.stdin, input.stdin);
  if (protocol === V5_CHANNEL_PROTOCOL && input.closeStdin !== false) send(Channel.close, Buffer.from([Channel.stdin]));
  await closed;
  const read = (channel: number) => Buffer.concat(output.get(channel) ?? []).toString('utf8');
  return { stdout: read(Channel.stdout), stderr: read(Channel.stderr), status: JSON.parse(read(Channel.error)) as ExecResult['status'], first };
}

/**
 * kubectl's port-forward for one connection: a SPDY session (plain, or tunnelled in a
 * WebSocket when `tunnel`), an error and a data stream for `port`, `request` written, the
 * whole answer read until the backend closes the data stream.
 */
export async function portForwardOnce(url: string, port: number, request: string, tunnel: boolean): Promise<{ data: string; error: string }> {
  const session = tunnel
    ? new SpdySession(createWebSocketStream(await tunnelWebSocket(url)), { client: true })
    : (await dialSpdy({ url }, ['portforward.k8s.io'])).session;
  const headers = { port: String(port), requestid: '0' };
  const error = session.openStream({ ...headers, streamtype: 'error' });
  error.end(); // kubectl never writes on the error stream
  const data = session.openStream({ ...headers, streamtype: 'data' });
  data.end(request);
  const [answer, problem] = await Promise.all([text(data), text(error)]);
  session.destroy();
  return { data: answer, error: problem };
}

/**
 * The WebSocket kubectl 1.31+ opens for port-forward. Its subprotocol has a "/", which RFC
 * 6455 tokens exclude, so the ws client refuses to offer it; kubectl's Go client sends it
 * anyway. Do the handshake by hand and give the socket to a ws client object, as ws's own
 * client does after its handshake.
 */
async function tunnelWebSocket(url: string): Promise<WebSocket> {
  const req = http.request(url, {
    method: 'GET',
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      'Sec-WebSocket-Protocol': PORT_FORWARD_TUNNEL_PROTOCOL,
    },
  });
  req.end();
  const [response, socket, head] = (await Promise.race([
    once(req, 'upgrade'),
    once(req, 'response').then(([res]) => Promise.reject(new Error(`WebSocket upgrade refused: HTTP ${(res as http.IncomingMessage).statusCode}`))),
  ])) as [http.IncomingMessage, Duplex, Buffer];
  if (response.headers['sec-websocket-protocol'] !== PORT_FORWARD_TUNNEL_PROTOCOL) throw new Error('the server chose another subprotocol');
  const ws = new WebSocket(null as unknown as string, undefined, {});
  // A client masks its frames; ws infers the side from the null address, so say it.
  (ws as unknown as { _isServer: boolean })._isServer = false;
  (ws as unknown as { setSocket(s: Duplex, h: Buffer, o: object): void }).setSocket(socket, head, { maxPayload: 0 });
  return ws;
}
