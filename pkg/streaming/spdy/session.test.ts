import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { after, test } from 'node:test';
import { Duplex } from 'node:stream';
import { text } from 'node:stream/consumers';
import { until } from '../../../test/lib/until.ts';
import { UpgradeRefusedError } from '../upgrade.ts';
import { encodeFrame, FLAG_FIN, FrameReader, SETTINGS_INITIAL_WINDOW_SIZE, type Frame } from './frames.ts';
import { HeaderCompressor } from './headers.ts';
import { SpdySession } from './session.ts';
import type { SpdyStream } from './stream.ts';
import { acceptSpdy, dialSpdy } from './upgrade.ts';

/** Two sessions joined by a loopback TCP connection. */
async function socketPair(onServerStream: (stream: SpdyStream) => void): Promise<{ client: SpdySession; server: SpdySession }> {
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection');
  const socket = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const [serverSocket] = (await accepted) as [net.Socket];
  listener.close();
  return {
    client: new SpdySession(socket, { client: true }),
    server: new SpdySession(serverSocket, { client: false, onStream: onServerStream }),
  };
}

test('streams carry data both ways, half-close with FIN, and the peer sees the SYN headers', async () => {
  const seen: Record<string, string>[] = [];
  const { client, server } = await socketPair((stream) => {
    seen.push(stream.headers);
    // Echo upper-cased, then FIN after the client's FIN.
    stream.on('data', (chunk: Buffer) => stream.write(chunk.toString().toUpperCase()));
    stream.on('end', () => stream.end('!'));
  });
  const stream = client.openStream({ streamType: 'stdin', port: '80' });
  assert.deepEqual(await stream.replied, {});
  stream.end('hello spdy');
  assert.equal(await text(stream), 'HELLO SPDY!');
  assert.deepEqual(seen, [{ streamtype: 'stdin', port: '80' }]);
  client.destroy();
  server.destroy();
});

test('a megabyte in each direction arrives intact and in order (frames split)', async () => {
  const payload = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) % 251;
  const { client, server } = await socketPair((stream) => {
    stream.pipe(stream); // echo everything, FIN included
  });
  const stream = client.openStream({ streamtype: 'data' });
  const received: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => received.push(chunk));
  stream.end(payload);
  await once(stream, 'end');
  assert.ok(Buffer.concat(received).equals(payload));
  client.destroy();
  server.destroy();
});

test('a slow reader holds the sender back (the transport is paused) without losing bytes', async () => {
  let serverStream: SpdyStream | undefined;
  const { client, server } = await socketPair((stream) => {
    serverStream = stream;
  });
  const stream = client.openStream({ streamtype: 'data' });
  await stream.replied;
  const chunk = Buffer.alloc(64 * 1024, 1);
  let writes = 0;
  while (stream.write(chunk) && writes < 1000) writes++;
  // Nothing reads on the server yet: the client must eventually see back-pressure.
  assert.ok(writes < 1000, 'write() never asked to wait');
  stream.end();
  assert.ok(serverStream);
  let total = 0;
  for await (const piece of serverStream) total += (piece as Buffer).length;
  assert.equal(total, (writes + 1) * chunk.length);
  client.destroy();
  server.destroy();
});

test('ping round trips; destroy resets the stream: the peer\'s readable ends, its writes fail', async () => {
  let serverStream: SpdyStream | undefined;
  const { client, server } = await socketPair((stream) => {
    serverStream = stream;
  });
  await client.ping();
  await server.ping();
  const stream = client.openStream({ streamtype: 'stdout' });
  await stream.replied;
  assert.ok(serverStream);
  const reset = once(serverStream, 'reset');
  const ended = once(serverStream, 'end');
  serverStream.resume();
  stream.destroy();
  assert.deepEqual(await reset, [5]);
  await ended;
  assert.equal(serverStream.resetStatus, 5);
  serverStream.on('error', () => {});
  const written = new Promise((resolve) => serverStream!.write('too late', resolve));
  assert.ok((await written) instanceof Error, 'a write after the reset succeeded');
  client.destroy();
  server.destroy();
});

test('closing the connection ends every stream, keeping what already arrived readable', async () => {
  const { client, server } = await socketPair((stream) => {
    stream.write('last words');
    server.destroy();
  });
  const closed = once(client, 'close');
  const stream = client.openStream({ streamtype: 'stdout' });
  stream.on('error', () => {});
  assert.equal(await text(stream), 'last words');
  await closed;
  assert.ok(client.closed);
});

test('GOAWAY: the session closes once its streams are done', async () => {
  let serverStream: SpdyStream | undefined;
  const { client, server } = await socketPair((stream) => {
    serverStream = stream;
  });
  const stream = client.openStream({ streamtype: 'error' });
  await stream.replied;
  server.close();
  assert.ok(serverStream);
  assert.equal(server.closed, false, 'closed while a stream was open');
  const bothClosed = Promise.all([once(client, 'close'), once(server, 'close')]);
  serverStream.end('{"status":"Success"}');
  stream.end();
  assert.equal(await text(stream), '{"status":"Success"}');
  await bothClosed;
});

test('HTTP upgrade: the server picks the first offered protocol it knows; a stranger is refused with 403', async () => {
  const server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => {
    acceptSpdy(req, socket, head, ['v4.channel.k8s.io', 'v3.channel.k8s.io'], (stream) => stream.end(`hi ${stream.headers.streamtype}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/exec/abc`;

  const { session, protocol } = await dialSpdy({ url }, ['v5.channel.k8s.io', 'v3.channel.k8s.io', 'v4.channel.k8s.io']);
  assert.equal(protocol, 'v3.channel.k8s.io');
  const stream = session.openStream({ streamtype: 'error' });
  stream.end();
  assert.equal(await text(stream), 'hi error');
  session.destroy();

  await assert.rejects(dialSpdy({ url }, ['portforward.k8s.io']), (err: unknown) => {
    assert.ok(err instanceof UpgradeRefusedError);
    assert.equal(err.status, 403);
    assert.match(err.body.toString(), /unable to negotiate protocol/);
    return true;
  });
});

test('WINDOW_UPDATE goes only to a peer that showed it counts windows (sent SETTINGS)', async () => {
  // A hand-driven server: it sees our frames raw, and writes frames of its own.
  const listener = net.createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection');
  const client = new SpdySession(net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1'), { client: true });
  const [raw] = (await accepted) as [net.Socket];
  listener.close();
  const reader = new FrameReader();
  const received: Frame[] = [];
  raw.on('data', (chunk: Buffer) => {
    for (const frame of reader.push(chunk)) {
      received.push(frame);
      if (frame.type === 'ping') raw.write(encodeFrame(frame)); // answer as a peer does
    }
  });
  const compressor = new HeaderCompressor();
  const stream = client.openStream({ streamtype: 'stdout' });
  stream.resume();
  await until('SYN_STREAM', async () => (received.some((f) => f.type === 'syn_stream') ? true : undefined));
  raw.write(encodeFrame({ type: 'syn_reply', streamId: 1, flags: 0, headerBlock: compressor.compress({}) }));
  const sendData = async () => {
    for (let i = 0; i < 3; i++) raw.write(encodeFrame({ type: 'data', streamId: 1, flags: 0, data: Buffer.alloc(20_000) }));
    await client.ping(); // its echo comes after the data: the data has been handled
    await client.ping(); // and this one left after any WINDOW_UPDATE, so the peer has both
  };
  await sendData();
  assert.deepEqual(received.filter((f) => f.type === 'window_update'), [], 'spdystream-like peer got WINDOW_UPDATE');
  raw.write(encodeFrame({ type: 'settings', flags: 0, entries: [{ flags: 0, id: SETTINGS_INITIAL_WINDOW_SIZE, value: 65536 }] }));
  await sendData();
  assert.ok(received.some((f) => f.type === 'window_update' && f.streamId === 1), 'no stream WINDOW_UPDATE');
  assert.ok(received.some((f) => f.type === 'window_update' && f.streamId === 0), 'no session WINDOW_UPDATE');
  client.destroy();
  raw.destroy();
});

test('a stream that ended with a full buffer does not keep the transport paused for the others', async () => {
  // A hand-fed transport, so that each push is one 'data' chunk for the session.
  const transport = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
  const client = new SpdySession(transport, { client: true });
  const compressor = new HeaderCompressor();
  const stdout = client.openStream({ streamtype: 'stdout' });
  const error = client.openStream({ streamtype: 'error' });
  const output = Buffer.alloc(256 * 1024, 'a');
  // All of stdout with its FIN in one chunk, more than the stream buffers: the session pauses the transport on it.
  transport.push(Buffer.concat([
    encodeFrame({ type: 'syn_reply', streamId: stdout.id, flags: 0, headerBlock: compressor.compress({}) }),
    encodeFrame({ type: 'syn_reply', streamId: error.id, flags: 0, headerBlock: compressor.compress({}) }),
    encodeFrame({ type: 'data', streamId: stdout.id, flags: FLAG_FIN, data: output }),
  ]));
  // The status comes in a later chunk, which the session reads only once the transport resumes.
  transport.push(encodeFrame({ type: 'data', streamId: error.id, flags: FLAG_FIN, data: Buffer.from('{"status":"Success"}') }));
  // Read stdout as a pipe does: unlike an async iterator, it leaves the ended stream undestroyed.
  let received = 0;
  stdout.on('data', (chunk: Buffer) => (received += chunk.length));
  await once(stdout, 'end');
  assert.equal(received, output.length);
  assert.equal(await text(error), '{"status":"Success"}');
  client.destroy();
});
