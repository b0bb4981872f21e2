/**
 * bridgeRemoteCommand's WebSocket side with a real ws client, against a stand-in kubelet:
 * HTTPS with a client certificate (as the API server reaches kubelets), SPDY v4 through our
 * own server session. The real peers (kubectl, containerd) are in kubectl.test.ts and
 * containerd.test.ts; this one runs without root.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { text } from 'node:stream/consumers';
import { WebSocket } from 'ws';
import { makeTestPki } from '../../test/lib/pki.ts';
import { bridgeRemoteCommand, type RemoteCommandOptions } from './remotecommand.ts';
import type { SpdyStream } from './spdy/stream.ts';
import { acceptSpdy } from './spdy/upgrade.ts';
import { exitCode, webSocketExec } from './testclients.ts';
import type { Backend } from './upgrade.ts';

/** What the stand-in kubelet saw of one exec. */
interface Seen {
  streams: string[];
  clientCn: string;
  resize: string;
  closed: Promise<unknown>;
}

describe('bridgeRemoteCommand (WebSocket → SPDY)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-streaming-'));
  let kubelet: https.Server;
  let front: http.Server;
  let frontUrl: string;
  let backend: Backend;
  let options: RemoteCommandOptions;
  const seen: Seen[] = [];

  before(async () => {
    const pki = makeTestPki(dir);
    kubelet = https.createServer({
      cert: fs.readFileSync(pki.serverCertFile),
      key: fs.readFileSync(pki.serverKeyFile),
      ca: fs.readFileSync(pki.caFile),
      requestCert: true,
      rejectUnauthorized: true,
    });
    kubelet.on('upgrade', (req: http.IncomingMessage, socket, head) => serveExec(req, socket as TLSSocket, head));
    kubelet.listen(0, '127.0.0.1');
    await once(kubelet, 'listening');
    backend = {
      url: `https://127.0.0.1:${(kubelet.address() as net.AddressInfo).port}/exec`,
      tls: { ca: fs.readFileSync(pki.caFile), cert: fs.readFileSync(pki.clientCertFile), key: fs.readFileSync(pki.clientKeyFile) },
    };
    front = http.createServer();
    front.on('upgrade', (req, socket, head) => void bridgeRemoteCommand(req, socket, head, backend, options));
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    frontUrl = `http://127.0.0.1:${(front.address() as net.AddressInfo).port}/exec`;
  });

  after(() => {
    kubelet?.close();
    front?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Like the kubelet: waits for the streams the options call for, then upper-cases stdin to
   * stdout, writes "err" to stderr, and ends with exit code 7 on the error stream before
   * resetting every stream and closing (as Kubernetes' SPDY server does).
   */
  function serveExec(req: http.IncomingMessage, socket: TLSSocket, head: Buffer): void {
    if (req.url !== '/exec') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\nno such exec session');
      return;
    }
    const expected = 1 + Number(options.stdin) + Number(options.stdout) + Number(options.stderr && !options.tty) + Number(options.tty);
    const streams = new Map<string, SpdyStream>();
    let resolveClosed!: (v: unknown) => void;
    const entry: Seen = { streams: [], clientCn: '', resize: '', closed: new Promise((r) => (resolveClosed = r)) };
    entry.clientCn = String(socket.getPeerCertificate().subject?.CN ?? '');
    seen.push(entry);
    let sized: Promise<unknown> = Promise.resolve();
    const connection = acceptSpdy(req, socket, head, ['v4.channel.k8s.io'], (stream) => {
      entry.streams.push(stream.headers.streamtype ?? '?');
      if (stream.headers.streamtype === 'resize') {
        sized = once(stream, 'data');
        stream.on('data', (chunk: Buffer) => (entry.resize += chunk.toString()));
      }
      streams.set(stream.headers.streamtype ?? '?', stream);
      if (streams.size === expected) void run();
    });
    connection?.session.on('close', resolveClosed);
    const run = async () => {
      // Like a shell on a terminal, answer once the terminal has a size.
      await sized;
      const input = streams.get('stdin') ? await text(streams.get('stdin')!) : '';
      streams.get('stdout')?.end(input.toUpperCase());
      streams.get('stderr')?.end('err\n');
      const status = {
        metadata: {}, status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated with non-zero exit code: 7',
        details: { causes: [{ reason: 'ExitCode', message: '7' }] },
      };
      streams.get('error')!.write(JSON.stringify(status));
      for (const stream of streams.values()) stream.destroy();
      connection?.session.close();
    };
  }

  it('v5: stdin through, close signal ends it, stderr apart, exit code on the error channel', async () => {
    options = { stdin: true, stdout: true, stderr: true, tty: false };
    const result = await webSocketExec(frontUrl, 'v5.channel.k8s.io', { stdin: 'abc\n' });
    assert.deepEqual(result.first, [1, 0], 'the first message is an empty one on stdout');
    assert.equal(result.stdout, 'ABC\n');
    assert.equal(result.stderr, 'err\n');
    assert.equal(exitCode(result), 7);
    const last = seen.at(-1)!;
    assert.deepEqual(last.streams, ['error', 'stdin', 'stdout', 'stderr'], 'the streams in kubectl\'s order');
    assert.equal(last.clientCn, 'tsk-test-client');
  });

  it('tty: a resize stream instead of stderr, sizes passed on as sent', async () => {
    options = { stdin: true, stdout: true, stderr: true, tty: true };
    const result = await webSocketExec(frontUrl, 'v5.channel.k8s.io', { resize: { Width: 80, Height: 24 }, stdin: 'x' });
    assert.equal(result.stdout, 'X');
    assert.equal(exitCode(result), 7);
    assert.deepEqual(seen.at(-1)!.streams, ['error', 'stdin', 'stdout', 'resize']);
    assert.equal(seen.at(-1)!.resize, '{"Width":80,"Height":24}');
  });

  it('a refusing backend becomes a Failure status on the error channel', async () => {
    options = { stdin: false, stdout: true, stderr: true, tty: false };
    const saved = backend.url;
    backend.url = `${String(saved)}/gone`;
    try {
      const result = await webSocketExec(frontUrl, 'v5.channel.k8s.io');
      assert.equal(result.status.status, 'Failure');
      assert.match(result.status.message ?? '', /no such exec session/);
    } finally {
      backend.url = saved;
    }
  });

  it('a client that goes away closes the backend session', async () => {
    options = { stdin: true, stdout: true, stderr: false, tty: false };
    const before = seen.length;
    const ws = new WebSocket(frontUrl, ['v5.channel.k8s.io']);
    await once(ws, 'message'); // the bridge is up
    while (seen.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
    ws.terminate();
    await seen.at(-1)!.closed;
  });

  it('a client without a channel subprotocol is refused with 400', async () => {
    const ws = new WebSocket(frontUrl, ['channel.k8s.io']);
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, http.IncomingMessage];
    assert.equal(response.statusCode, 400);
  });
});
