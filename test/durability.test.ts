/**
 * A kill -9 of `tsk server` in the middle of a stream of creates loses nothing the API
 * acknowledged: after a restart on the same data dir every object that got a 201 is there,
 * with the resourceVersion it was acknowledged with.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { freePort } from './lib/cluster.ts';
import { startTsk, type TskProcess } from './lib/tsk.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-durability-'));
const servers: TskProcess[] = [];
after(async () => {
  for (const s of servers) await s.kill();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function boot(port: number): Promise<TskProcess> {
  const server = startTsk(['server', '--disable-agent', '--data-dir', dataDir, '--https-listen-port', String(port), '--bind-address', '127.0.0.1']);
  servers.push(server);
  await server.waitForLog(/serving the Kubernetes API/, 30_000);
  return server;
}

function connect(port: number): http2.ClientHttp2Session {
  const tls = path.join(dataDir, 'server', 'tls');
  const session = http2.connect(`https://127.0.0.1:${port}`, {
    ca: fs.readFileSync(path.join(tls, 'server-ca.crt')),
    cert: fs.readFileSync(path.join(tls, 'client-admin.crt')),
    key: fs.readFileSync(path.join(tls, 'client-admin.key')),
  });
  session.on('error', () => {});
  return session;
}

function call(session: http2.ClientHttp2Session, method: string, p: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': p };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = session.request(headers);
    let status = 0;
    let text = '';
    req.setEncoding('utf8');
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (d: string) => (text += d));
    req.on('end', () => resolve({ status, text }));
    // A connection cut by the kill: no answer, so nothing was acknowledged.
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

test('every acknowledged create survives kill -9', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const server = await boot(port);
  const session = connect(port);
  const acknowledged = new Map<string, string>();
  let next = 0;
  let killed = false;
  const writers = Array.from({ length: 16 }, async () => {
    while (!killed) {
      const name = `durable-${next++}`;
      const r = await call(session, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: name } });
      if (r.status === 201) acknowledged.set(name, JSON.parse(r.text).metadata.resourceVersion);
    }
  });
  while (acknowledged.size < 300) await new Promise((r) => setTimeout(r, 10));
  server.signal('SIGKILL');
  killed = true;
  await server.exited;
  await Promise.all(writers);
  session.destroy();

  const port2 = await freePort();
  await boot(port2);
  const again = connect(port2);
  try {
    const list = await call(again, 'GET', '/api/v1/namespaces/default/configmaps');
    const stored = new Map<string, string>((JSON.parse(list.text).items as { metadata: { name: string; resourceVersion: string } }[]).map((i) => [i.metadata.name, i.metadata.resourceVersion]));
    for (const [name, rv] of acknowledged) assert.equal(stored.get(name), rv, `${name} was acknowledged at ${rv}`);
  } finally {
    again.close();
  }
});
