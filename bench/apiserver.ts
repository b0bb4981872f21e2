/**
 * API server figures (issue 3), printed as a table: `node --import tsx bench/apiserver.ts`.
 * Boots dist/tsk server --disable-agent on a fresh data dir and measures, with plain HTTP/2
 * clients holding the admin certificate (as kubectl and client-go connect):
 *   ready    exec → /readyz ok
 *   RSS      idle after start, and holding 1,000 Deployments
 *   create   16 clients creating ConfigMaps, each on its own connection: rate and p99
 *   get      GET p99 of one object, 16 clients
 *   list     LIST of 5,000 ConfigMaps (JSON), median of 5
 *   watch    create → event at a watcher, p99
 * No peer runs here (no kube-apiserver on this machine); the targets are printed beside.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/targets.ts';
import { fmt, median, percentile, printTable } from './lib/stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CREATES = Number(process.env.BENCH_CREATES ?? 4000);
const CLIENTS = 16;

interface Creds {
  ca: string;
  cert: string;
  key: string;
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

function connect(url: string, creds: Creds): http2.ClientHttp2Session {
  return http2.connect(url, { ca: creds.ca, cert: creds.cert, key: creds.key });
}

function request(session: http2.ClientHttp2Session, method: string, p: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: http2.OutgoingHttpHeaders = { ':method': method, ':path': p, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = session.request(headers);
    let status = 0;
    let text = '';
    req.on('response', (h) => (status = Number(h[':status'])));
    req.setEncoding('utf8');
    req.on('data', (d: string) => (text += d));
    req.on('end', () => resolve({ status, body: text }));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function waitReady(url: string, creds: Creds, started: bigint): Promise<number> {
  for (;;) {
    try {
      const s = connect(url, creds);
      s.on('error', () => {});
      const r = await request(s, 'GET', '/readyz');
      s.close();
      if (r.status === 200) return Number(process.hrtime.bigint() - started) / 1e6;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function configMap(name: string): unknown {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { bench: 'yes' } }, data: { key: 'x'.repeat(256) } };
}

function deployment(name: string): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sh', '-c', 'sleep 3600'], ports: [{ containerPort: 80 }], env: [{ name: 'A', value: 'b' }] }] },
      },
    },
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-bench-api-'));
  const port = await freePort();
  const started = process.hrtime.bigint();
  // BENCH_TSK="node --cpu-prof --import tsx cmd/tsk/main.ts" profiles the server from source.
  const [bin, ...pre] = process.env.BENCH_TSK ? process.env.BENCH_TSK.split(' ') : [path.join(root, 'dist', 'tsk')];
  const child = spawn(bin!, [...pre, 'server', '--disable-agent', '--data-dir', dataDir, '--https-listen-port', String(port), '--bind-address', '127.0.0.1'], { stdio: 'ignore' });
  const url = `https://127.0.0.1:${port}`;
  try {
    const tls = path.join(dataDir, 'server', 'tls');
    while (!fs.existsSync(path.join(tls, 'client-admin.key'))) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    const creds: Creds = {
      ca: fs.readFileSync(path.join(tls, 'server-ca.crt'), 'utf8'),
      cert: fs.readFileSync(path.join(tls, 'client-admin.crt'), 'utf8'),
      key: fs.readFileSync(path.join(tls, 'client-admin.key'), 'utf8'),
    };
    const readyMs = await waitReady(url, creds, started);
    await new Promise((r) => setTimeout(r, 5000));
    const idleRss = rssMiB(child.pid!);

    const sessions = Array.from({ length: CLIENTS }, () => connect(url, creds));
    const watcher = connect(url, creds);
    const sent = new Map<string, bigint>();
    const acked = new Map<string, bigint>();
    const arrived = new Map<string, bigint>();
    const watchReq = watcher.request({ ':path': '/api/v1/namespaces/default/configmaps?watch=1&labelSelector=bench%3Dyes&resourceVersion=0' });
    let buffer = '';
    watchReq.setEncoding('utf8');
    watchReq.on('data', (d: string) => {
      buffer += d;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const name = /"name":"([^"]+)"/.exec(line)?.[1];
        if (name && sent.has(name) && !arrived.has(name)) arrived.set(name, process.hrtime.bigint());
      }
    });

    const createLatencies: number[] = [];
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(sessions.map(async (s) => {
      while (next < CREATES) {
        const name = `cm-${next++}`;
        const at = process.hrtime.bigint();
        sent.set(name, at);
        const r = await request(s, 'POST', '/api/v1/namespaces/default/configmaps', configMap(name));
        if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body}`);
        const done = process.hrtime.bigint();
        acked.set(name, done);
        createLatencies.push(Number(done - at) / 1e6);
      }
    }));
    const createSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await new Promise((r) => setTimeout(r, 500));
    // Delivery: when the watcher has the event, measured from the writer's acknowledgement
    // (negative: the event came first) and from the moment the write was sent.
    const afterAck: number[] = [];
    const afterSend: number[] = [];
    for (const [name, at] of arrived) {
      afterAck.push(Number(at - acked.get(name)!) / 1e6);
      afterSend.push(Number(at - sent.get(name)!) / 1e6);
    }

    const getLatencies: number[] = [];
    let gets = 0;
    await Promise.all(sessions.map(async (s) => {
      while (gets < 4000) {
        const name = `cm-${gets++ % CREATES}`;
        const at = process.hrtime.bigint();
        const r = await request(s, 'GET', `/api/v1/namespaces/default/configmaps/${name}`);
        if (r.status !== 200) throw new Error(`get ${name}: ${r.status}`);
        getLatencies.push(Number(process.hrtime.bigint() - at) / 1e6);
      }
    }));

    // Top up to 5,000 objects for the list figure.
    for (let i = CREATES; i < 5000; i += CLIENTS) {
      await Promise.all(sessions.map((s, j) => (i + j < 5000 ? request(s, 'POST', '/api/v1/namespaces/default/configmaps', configMap(`cm-${i + j}`)) : undefined)));
    }
    const listTimes: number[] = [];
    let listed = 0;
    for (let i = 0; i < 5; i++) {
      const at = process.hrtime.bigint();
      const r = await request(sessions[0]!, 'GET', '/api/v1/namespaces/default/configmaps');
      listTimes.push(Number(process.hrtime.bigint() - at) / 1e6);
      listed = (JSON.parse(r.body) as { items: unknown[] }).items.length;
    }

    for (let i = 0; i < 1000; i += CLIENTS) {
      await Promise.all(sessions.map((s, j) => (i + j < 1000 ? request(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment(`d-${i + j}`)) : undefined)));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const loadedRss = rssMiB(child.pid!);
    watchReq.close();
    watcher.close();
    for (const s of sessions) s.close();

    printTable(['figure', 'tsk', 'target (issue 3)'], [
      ['ready from exec (ms)', fmt(readyMs), '< 2,000'],
      ['RSS idle (MiB)', fmt(idleRss), '< 120'],
      [`creates/s, ${CLIENTS} clients`, fmt(CREATES / createSeconds), '>= 1,500'],
      ['create p99 (ms)', fmt(percentile(createLatencies, 99)), '< 50'],
      ['GET p99 (ms)', fmt(percentile(getLatencies, 99)), '< 10'],
      [`LIST ${listed} objects, median (ms)`, fmt(median(listTimes)), '< 300'],
      ['watch delivery after ack, p99 (ms)', fmt(percentile(afterAck, 99)), '< 20'],
      ['watch delivery after send, p99 (ms)', fmt(percentile(afterSend, 99)), ''],
      ['RSS with 5,000 ConfigMaps + 1,000 Deployments (MiB)', fmt(loadedRss), '< 200 (1,000 objects)'],
    ]);
  } finally {
    child.kill(process.env.BENCH_TSK ? 'SIGTERM' : 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
