/**
 * Real kubectl (1.29: SPDY; 1.33: WebSocket v5 and the port-forward tunnel) through the
 * bridges to containerd's streaming server. The API server here is a stand-in that knows one
 * pod and routes its exec and portforward upgrades the way tsk's API server and kubelet
 * will (bridgeRemoteCommand / bridgePortForward); it records which protocol kubectl used, so
 * that a silent fallback from WebSocket to SPDY would show.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runtimeMissing } from '../cri/testkit.ts';
import { freePort, kubectlBinary } from '../../test/lib/cluster.ts';
import { until } from '../../test/lib/until.ts';
import { bridgePortForward } from './portforward.ts';
import { bridgeRemoteCommand } from './remotecommand.ts';
import { startTestPod, type TestPod } from './testpod.ts';

const POD = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: { name: 'web', namespace: 'default', uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' },
  spec: { containers: [{ name: 'main', image: 'tsk.local/busybox:streaming-test' }] },
  status: { phase: 'Running' },
};

/** Legacy discovery: enough for kubectl to map "pods" (it falls back to it when /api is not aggregated). */
const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    ],
  },
  '/api/v1/namespaces/default/pods/web': POD,
};

/** Kubernetes reads query booleans loosely: anything but "", "0" and "false" is true. */
const flag = (query: URLSearchParams, name: string) => !['', '0', 'false'].includes((query.get(name) ?? '').toLowerCase());

describe('real kubectl through the bridges', { skip: runtimeMissing, timeout: 240_000 }, () => {
  let pod: TestPod;
  let server: http.Server;
  let kubeconfig: string;
  /** "<subresource> <websocket|SPDY/3.1>" per upgrade kubectl made. */
  const upgrades: string[] = [];

  before(async () => {
    pod = await startTestPod();
    server = http.createServer((req, res) => {
      const body = DISCOVERY[new URL(req.url ?? '/', 'http://x').pathname];
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
    });
    server.on('upgrade', (req: http.IncomingMessage, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const subresource = url.pathname.split('/').pop() ?? '';
      upgrades.push(`${subresource} ${req.headers.upgrade}`);
      const q = url.searchParams;
      if (subresource === 'exec') {
        const options = { stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr'), tty: flag(q, 'tty') };
        void pod.runtime.client
          .exec({ containerId: pod.containerId, cmd: q.getAll('command'), ...options, stderr: options.stderr && !options.tty })
          .then(({ url: backend }) => bridgeRemoteCommand(req, socket, head, { url: backend }, options));
      } else if (subresource === 'portforward') {
        void pod.runtime.client
          .portForward({ podSandboxId: pod.podSandboxId, port: [] })
          .then(({ url: backend }) => bridgePortForward(req, socket, head, { url: backend }));
      } else {
        socket.destroy();
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    kubeconfig = path.join(pod.runtime.tmp, 'kubeconfig');
    const address = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    fs.writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: address } }],
        users: [{ name: 'u', user: { token: 'unused' } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
        'current-context': 'c',
      }),
    );
  });

  after(async () => {
    server?.close();
    await pod?.runtime.stop();
  });

  /** Runs kubectl without blocking: the stand-in API server lives in this process. */
  const kubectl = async (minor: number, args: string[], input?: string) => {
    const child = spawn(kubectlBinary(minor), ['--kubeconfig', kubeconfig, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(input ?? '');
    const [status] = (await once(child, 'close')) as [number];
    return { status, stdout, stderr };
  };

  for (const [minor, protocol] of [[29, 'SPDY/3.1'], [33, 'websocket']] as const) {
    it(`kubectl 1.${minor} exec (${protocol}): output, stdin and exit codes`, async () => {
      upgrades.length = 0;
      const hi = await kubectl(minor, ['exec', 'web', '--', 'echo', 'hi']);
      assert.equal(hi.stdout, 'hi\n', hi.stderr);
      assert.equal(hi.status, 0);

      const failing = await kubectl(minor, ['exec', 'web', '--', 'sh', '-c', 'echo oops >&2; exit 3']);
      assert.equal(failing.status, 3, failing.stderr);
      assert.match(failing.stderr, /oops/);

      const cat = await kubectl(minor, ['exec', '-i', 'web', '--', 'cat'], 'from stdin\n');
      assert.equal(cat.stdout, 'from stdin\n', cat.stderr);
      assert.equal(cat.status, 0);
      assert.deepEqual(upgrades, Array(3).fill(`exec ${protocol}`));
    });
  }

  for (const minor of [29, 33]) {
    it(`kubectl 1.${minor}: megabytes both ways`, async () => {
      const size = 3_000_000;
      const out = await kubectl(minor, ['exec', 'web', '--', 'sh', '-c', `head -c ${size} /dev/zero | tr '\\0' a`]);
      assert.equal(out.status, 0, out.stderr);
      assert.equal(out.stdout.length, size);
      assert.ok(/^a+$/.test(out.stdout));
      const counted = await kubectl(minor, ['exec', '-i', 'web', '--', 'wc', '-c'], 'b'.repeat(size));
      assert.equal(counted.stdout.trim(), String(size), counted.stderr);
    });

    it(`kubectl 1.${minor}: cp in and out of the pod`, async () => {
      const local = path.join(pod.runtime.tmp, `cp-${minor}.txt`);
      fs.writeFileSync(local, `copied by kubectl 1.${minor}\n`);
      const cpIn = await kubectl(minor, ['cp', local, `web:/tmp/cp-${minor}.txt`, '-c', 'main']);
      assert.equal(cpIn.status, 0, cpIn.stderr);
      const back = path.join(pod.runtime.tmp, `back-${minor}.txt`);
      const cpOut = await kubectl(minor, ['cp', `web:/tmp/cp-${minor}.txt`, back, '-c', 'main']);
      assert.equal(cpOut.status, 0, cpOut.stderr);
      assert.equal(fs.readFileSync(back, 'utf8'), `copied by kubectl 1.${minor}\n`);
    });
  }

  for (const [minor, protocol] of [[29, 'SPDY/3.1'], [33, 'websocket']] as const) {
    it(`kubectl 1.${minor} port-forward (${protocol}) reaches the pod's port`, async () => {
      upgrades.length = 0;
      const local = await freePort();
      const child = spawn(kubectlBinary(minor), ['--kubeconfig', kubeconfig, 'port-forward', 'pod/web', `${local}:${pod.httpPort}`]);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      try {
        const answer = await until(`port-forward (${stderr})`, async () => {
          const text = await fetch(`http://127.0.0.1:${local}/index.html`).then((r) => r.text());
          return text.includes('pong') ? text : undefined;
        });
        assert.equal(answer, 'pong\n');
      } finally {
        child.kill();
      }
      assert.deepEqual([...new Set(upgrades)], [`portforward ${protocol}`]);
    });
  }
});
