import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { resolvePort, runAction } from './actions.ts';
import { FakeRuntime } from './testing/fakeruntime.ts';

let server: http.Server;
let port: number;
let closedPort: number;
const seen: { path?: string; headers: http.IncomingHttpHeaders }[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    seen.push({ path: req.url, headers: req.headers });
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 2000);
    res.statusCode = req.url === '/healthz' ? 200 : req.url === '/moved' ? 302 : 500;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
  // A port nothing listens on: bind one, note it, close it.
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
});
after(() => server.close());

const target = (ports: object[] = []) => ({ runtime: new FakeRuntime(Date.now), containerId: 'x', container: { name: 'web', ports }, podIP: '127.0.0.1' });

test('httpGet: 2xx and 3xx pass, others fail with the status code; headers and named ports are used', async () => {
  assert.deepEqual(await runAction({ httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }, target([{ name: 'http', containerPort: port }]), 1000), { outcome: 'success', output: '' });
  assert.equal(seen.at(-1)!.headers['x-probe'], 'yes');
  assert.match(String(seen.at(-1)!.headers['user-agent']), /^kube-probe\//);
  assert.equal((await runAction({ httpGet: { path: '/moved', port } }, target(), 1000)).outcome, 'success');
  assert.deepEqual(await runAction({ httpGet: { path: '/broken', port } }, target(), 1000), { outcome: 'failure', output: 'HTTP probe failed with statuscode: 500' });
});

test('httpGet: a refused connection and a timeout fail with Go-like messages', async () => {
  assert.deepEqual(await runAction({ httpGet: { path: '/', port: closedPort } }, target(), 1000), {
    outcome: 'failure',
    output: `Get "http://127.0.0.1:${closedPort}/": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
  });
  const slow = await runAction({ httpGet: { path: '/slow', port } }, target(), 100);
  assert.equal(slow.outcome, 'failure');
  assert.match(slow.output, /Client\.Timeout exceeded/);
});

test('tcpSocket: connects to the pod IP; refused is a failure', async () => {
  assert.equal((await runAction({ tcpSocket: { port } }, target(), 1000)).outcome, 'success');
  assert.deepEqual(await runAction({ tcpSocket: { port: closedPort } }, target(), 1000), { outcome: 'failure', output: `dial tcp 127.0.0.1:${closedPort}: connect: connection refused` });
});

test('exec: the exit code decides, stdout is the output; a named port the container lacks is an error', async () => {
  const t = target();
  t.runtime.exec = (_name, cmd) => ({ exitCode: cmd[0] === 'ok' ? 0 : 1, stdout: cmd.join(' ') });
  assert.deepEqual(await runAction({ exec: { command: ['ok'] } }, t, 1000), { outcome: 'success', output: 'ok' });
  assert.deepEqual(await runAction({ exec: { command: ['bad', 'thing'] } }, t, 1000), { outcome: 'failure', output: 'bad thing' });
  assert.throws(() => resolvePort('metrics', { name: 'web' }), /couldn't find port: metrics/);
  assert.equal((await runAction({ httpGet: { port: 'metrics' } }, t, 1000)).outcome, 'error');
});

test('grpc: the health service answers SERVING (success) or anything else (failure); no server is a failure', async () => {
  const grpc = await import('@grpc/grpc-js');
  const statusOf: Record<string, number> = { '': 1, sick: 2 };
  const server = new grpc.Server();
  server.addService(
    {
      check: {
        path: '/grpc.health.v1.Health/Check',
        requestStream: false,
        responseStream: false,
        // HealthCheckRequest { string service = 1 } and HealthCheckResponse { ServingStatus status = 1 }, by hand.
        requestDeserialize: (b: Buffer) => ({ service: b.subarray(2).toString() }),
        requestSerialize: () => Buffer.alloc(0),
        responseSerialize: (status: number) => Buffer.from([0x08, status]),
        responseDeserialize: () => 0,
      },
    },
    { check: (call: { request: { service: string } }, done: (err: null, status: number) => void) => done(null, statusOf[call.request.service] ?? 3) },
  );
  const grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  try {
    assert.deepEqual(await runAction({ grpc: { port: grpcPort } }, target(), 2000), { outcome: 'success', output: '' });
    assert.deepEqual(await runAction({ grpc: { port: grpcPort, service: 'sick' } }, target(), 2000), { outcome: 'failure', output: 'service unhealthy (responded with "NOT_SERVING")' });
    const none = await runAction({ grpc: { port: closedPort } }, target(), 500);
    assert.equal(none.outcome, 'failure');
    assert.match(none.output, new RegExp(`^timeout: failed to connect service "127.0.0.1:${closedPort}" within 0.5s`));
  } finally {
    server.forceShutdown();
  }
});
