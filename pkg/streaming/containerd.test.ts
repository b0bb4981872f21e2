/**
 * The streaming code against containerd's real streaming server (Go's spdystream): CRI
 * Exec/PortForward URLs used directly by our SPDY client, and through the bridges the API
 * server and the kubelet use, with WebSocket (v5, v4, tunnel) and SPDY clients in front.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runtimeMissing, type TestRuntime } from '../cri/testkit.ts';
import { WebSocket } from 'ws';
import { freePort } from '../../test/lib/cluster.ts';
import { until } from '../../test/lib/until.ts';
import { bridgePortForward } from './portforward.ts';
import { bridgeRemoteCommand, type RemoteCommandOptions } from './remotecommand.ts';
import { exitCode, portForwardOnce, spdyExec, webSocketExec } from './testclients.ts';
import { startTestPod } from './testpod.ts';

const OUT: RemoteCommandOptions = { stdin: false, stdout: true, stderr: true, tty: false };

describe('streaming against containerd', { skip: runtimeMissing, timeout: 240_000 }, () => {
  let runtime: TestRuntime;
  let podSandboxId: string;
  let containerId: string;
  let httpPort: number;
  /** The front door a kubelet or API server would be: each upgrade goes where `route` says. */
  let front: http.Server;
  let frontUrl: string;
  let route: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>;

  const execUrl = async (cmd: string[], options: RemoteCommandOptions) =>
    (await runtime.client.exec({ containerId, cmd, ...options })).url;

  before(async () => {
    ({ runtime, podSandboxId, containerId, httpPort } = await startTestPod());
    front = http.createServer((_req, res) => res.writeHead(404).end());
    front.on('upgrade', (req, socket, head) => void route(req, socket, head));
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    frontUrl = `http://127.0.0.1:${(front.address() as net.AddressInfo).port}/stream`;
  });

  after(async () => {
    front?.close();
    await runtime?.stop();
  });

  describe('our SPDY client, straight to containerd', () => {
    it('runs echo hi: stdout "hi\\n", status Success', async () => {
      const result = await spdyExec(await execUrl(['echo', 'hi'], OUT), OUT);
      assert.equal(result.stdout, 'hi\n');
      assert.equal(result.stderr, '');
      assert.equal(result.status.status, 'Success');
    });

    it("reports sh -c 'exit 3' as exit code 3, stderr apart", async () => {
      const result = await spdyExec(await execUrl(['sh', '-c', 'echo oops >&2; exit 3'], OUT), OUT);
      assert.equal(result.stderr, 'oops\n');
      assert.equal(result.status.status, 'Failure');
      assert.equal(result.status.reason, 'NonZeroExitCode');
      assert.equal(exitCode(result), 3);
    });

    it('feeds stdin until its FIN', async () => {
      const options = { ...OUT, stdin: true };
      const result = await spdyExec(await execUrl(['cat'], options), options, { stdin: 'through stdin\n' });
      assert.equal(result.stdout, 'through stdin\n');
      assert.equal(exitCode(result), 0);
    });

    it('forwards a port of the pod (portforward.k8s.io)', async () => {
      const { url } = await runtime.client.portForward({ podSandboxId, port: [httpPort] });
      await until('httpd', async () => ((await portForwardOnce(url, httpPort, 'GET / HTTP/1.0\r\n\r\n', false)).data.includes('pong') ? true : undefined));
    });

    it('reports a port nobody listens on in the error stream', async () => {
      const { url } = await runtime.client.portForward({ podSandboxId, port: [] });
      const result = await portForwardOnce(url, await freePort(), 'hello?', false);
      assert.equal(result.data, '');
      assert.match(result.error, /connection refused/);
    });
  });

  describe('bridgeRemoteCommand: a WebSocket client translated to containerd SPDY', () => {
    const bridgeTo = (url: string, options: RemoteCommandOptions) => {
      route = (req, socket, head) => bridgeRemoteCommand(req, socket, head, { url }, options);
    };

    it('v5: echo hi, exit status Success, first message an empty stdout one', async () => {
      bridgeTo(await execUrl(['echo', 'hi'], OUT), OUT);
      const result = await webSocketExec(frontUrl, 'v5.channel.k8s.io');
      assert.deepEqual(result.first, [1, 0]);
      assert.equal(result.stdout, 'hi\n');
      assert.equal(exitCode(result), 0);
    });

    it('v5: exit 3 on the error channel with the exit code', async () => {
      bridgeTo(await execUrl(['sh', '-c', 'echo bad >&2; exit 3'], OUT), OUT);
      const result = await webSocketExec(frontUrl, 'v5.channel.k8s.io');
      assert.equal(result.stderr, 'bad\n');
      assert.equal(exitCode(result), 3);
      assert.match(result.status.message ?? '', /non-zero exit code/);
    });

    it('v5: stdin ends with the close signal, so cat finishes', async () => {
      const options = { ...OUT, stdin: true };
      bridgeTo(await execUrl(['cat'], options), options);
      const result = await webSocketExec(frontUrl, 'v5.channel.k8s.io', { stdin: 'typed\n' });
      assert.equal(result.stdout, 'typed\n');
      assert.equal(exitCode(result), 0);
    });

    it('v4: the same framing without close signals', async () => {
      bridgeTo(await execUrl(['sh', '-c', 'echo four; exit 4'], OUT), OUT);
      const result = await webSocketExec(frontUrl, 'v4.channel.k8s.io');
      assert.equal(result.stdout, 'four\n');
      assert.equal(exitCode(result), 4);
    });

    it('tty: the terminal has the size sent on the resize channel, and no stderr stream', async () => {
      const options = { stdin: true, stdout: true, stderr: false, tty: true };
      // The resize travels on its own stream and may reach the terminal a little after the
      // command starts: look a few times before answering.
      const script = 'read line; for i in $(seq 50); do s=$(stty size 2>&1); case "$s" in [1-9]*) break;; esac; sleep 0.1; done; echo "size $s"';
      bridgeTo(await execUrl(['sh', '-c', script], options), options);
      // stdin stays open: closing a terminal's input hangs the shell up before it answers.
      const result = await webSocketExec(frontUrl, 'v5.channel.k8s.io', { resize: { Width: 123, Height: 45 }, stdin: 'go\n', closeStdin: false });
      assert.match(result.stdout, /size 45 123/);
      assert.equal(exitCode(result), 0);
    });

    it('a backend that refuses becomes a Failure status, not a hang', async () => {
      bridgeTo(`http://127.0.0.1:${runtime.streamServerPort}/exec/no-such-token`, OUT);
      const result = await webSocketExec(frontUrl, 'v5.channel.k8s.io');
      assert.equal(result.status.status, 'Failure');
    });

    it('attach: stdin reaches the running process, its output comes back', async () => {
      const sandbox = (await runtime.client.podSandboxStatus({ podSandboxId })).status!;
      const { containerId: reader } = await runtime.client.createContainer({
        podSandboxId,
        sandboxConfig: { metadata: sandbox.metadata!, logDirectory: `${runtime.tmp}/pods` },
        config: {
          metadata: { name: 'reader', attempt: 0 },
          image: { image: 'tsk.local/busybox:streaming-test' },
          command: ['sh', '-c', 'while read line; do echo "got $line"; done'],
          stdin: true,
          logPath: 'reader.log',
        },
      });
      await runtime.client.startContainer({ containerId: reader });
      const options = { stdin: true, stdout: true, stderr: true, tty: false };
      const { url } = await runtime.client.attach({ containerId: reader, ...options });
      route = (req, socket, head) => bridgeRemoteCommand(req, socket, head, { url }, options);
      const ws = new WebSocket(frontUrl, ['v5.channel.k8s.io']);
      let stdout = '';
      ws.on('message', (data: Buffer) => {
        if (data[0] === 1) stdout += data.subarray(1).toString();
      });
      await once(ws, 'open');
      ws.send(Buffer.from('\x00hello\n'));
      await until('the echo of attach', async () => (stdout.includes('got hello\n') ? true : undefined));
      const closed = once(ws, 'close');
      ws.close();
      await closed;
      await runtime.client.stopContainer({ containerId: reader, timeout: 0 });
    });

    it('a SPDY client (kubectl ≤1.29) is piped through unchanged', async () => {
      bridgeTo(await execUrl(['sh', '-c', 'echo piped; exit 5'], OUT), OUT);
      const result = await spdyExec(frontUrl, OUT);
      assert.equal(result.stdout, 'piped\n');
      assert.equal(exitCode(result), 5);
    });
  });

  describe('bridgePortForward', () => {
    for (const tunnel of [true, false]) {
      it(tunnel ? 'unwraps SPDY tunnelled in WebSocket (kubectl 1.31+)' : 'pipes plain SPDY (older kubectl)', async () => {
        const { url } = await runtime.client.portForward({ podSandboxId, port: [httpPort] });
        route = (req, socket, head) => bridgePortForward(req, socket, head, { url });
        const result = await until('httpd through the bridge', async () => {
          const r = await portForwardOnce(frontUrl, httpPort, 'GET /index.html HTTP/1.0\r\n\r\n', tunnel);
          return r.data.includes('pong') ? r : undefined;
        });
        assert.match(result.data, /^HTTP\/1\.[01] 200 OK/);
        assert.equal(result.error, '');
      });
    }
  });
});
