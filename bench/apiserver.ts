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
import { runLoad, type LoadRequest } from './lib/apiload.ts';
import { freePort } from './lib/targets.ts';
import { fmt, median, percentile, printTable } from './lib/stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Long enough (about 6 s) that the figure is the steady state, not V8's warm-up. */
const CREATES = Number(process.env.BENCH_CREATES ?? 10_000);
const CLIENTS = 16;
/** Client threads: the client's TLS work would otherwise pace a 2-core machine's figures. */
const THREADS = Number(process.env.BENCH_THREADS ?? 2);

interface Creds {
  ca: string;
  cert: string;
  key: string;
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
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
    // Memory holding 1,000 objects: Deployments, a realistic size (~1.5 KiB each as stored).
    for (let i = 0; i < 1000; i += CLIENTS) {
      await Promise.all(sessions.map((s, j) => (i + j < 1000 ? request(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment(`d-${i + j}`)) : undefined)));
    }
    await new Promise((r) => setTimeout(r, 3000));
    const rss1000 = rssMiB(child.pid!);
    const watcher = connect(url, creds);
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
        if (name && !arrived.has(name)) arrived.set(name, process.hrtime.bigint());
      }
    });

    // Creates and GETs come from worker threads (see lib/apiload.ts), 16 connections in all.
    const creates: LoadRequest[] = Array.from({ length: CREATES }, (_, i) => ({ method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: configMap(`cm-${i}`), expect: 201 }));
    const t0 = process.hrtime.bigint();
    const cpu0 = cpuSeconds(child.pid!);
    const createTimings = await runLoad(url, creds, creates, CLIENTS, THREADS);
    const createSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // The server's own cost per create: what one core of it could do if the client ran elsewhere.
    const serverCpuPerCreate = (cpuSeconds(child.pid!) - cpu0) / CREATES;
    const createLatencies = createTimings.map((t) => Number(t.done - t.sent) / 1e6);
    await new Promise((r) => setTimeout(r, 500));
    // Delivery: when the watcher has the event, measured from the writer's acknowledgement
    // (negative: the event came first) and from the moment the write was sent.
    const afterAck: number[] = [];
    const afterSend: number[] = [];
    for (const t of createTimings) {
      const at = arrived.get(`cm-${t.index}`);
      if (at === undefined) continue;
      afterAck.push(Number(at - t.done) / 1e6);
      afterSend.push(Number(at - t.sent) / 1e6);
    }

    const GETS = 20_000;
    const gets: LoadRequest[] = Array.from({ length: GETS }, (_, i) => ({ method: 'GET', path: `/api/v1/namespaces/default/configmaps/cm-${i % CREATES}`, expect: 200 }));
    const getCpu0 = cpuSeconds(child.pid!);
    const g0 = process.hrtime.bigint();
    const getLatencies = (await runLoad(url, creds, gets, CLIENTS, THREADS)).map((t) => Number(t.done - t.sent) / 1e6);
    const getSeconds = Number(process.hrtime.bigint() - g0) / 1e9;
    const serverCpuPerGet = (cpuSeconds(child.pid!) - getCpu0) / GETS;
    const singleGetLatencies = (await runLoad(url, creds, gets.slice(0, 2000), 1, 1)).map((t) => Number(t.done - t.sent) / 1e6);

    // The list figure is of 5,000 objects: a namespace holding exactly that many.
    await request(sessions[0]!, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'listed' } });
    for (let i = 0; i < 5000; i += CLIENTS) {
      await Promise.all(sessions.map((s, j) => (i + j < 5000 ? request(s, 'POST', '/api/v1/namespaces/listed/configmaps', configMap(`cm-${i + j}`)) : undefined)));
    }
    const listTimes: number[] = [];
    let listed = 0;
    for (let i = 0; i < 5; i++) {
      const at = process.hrtime.bigint();
      const r = await request(sessions[0]!, 'GET', '/api/v1/namespaces/listed/configmaps');
      listTimes.push(Number(process.hrtime.bigint() - at) / 1e6);
      listed = (JSON.parse(r.body) as { items: unknown[] }).items.length;
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
      ['server CPU per create (ms)', fmt(serverCpuPerCreate * 1000, 2), ''],
      ['creates/s one server core sustains (1 / CPU per create)', fmt(1 / serverCpuPerCreate), ''],
      [`GETs/s, ${CLIENTS} clients`, fmt(GETS / getSeconds), ''],
      ['GET p50 / p99 (ms)', `${fmt(percentile(getLatencies, 50), 2)} / ${fmt(percentile(getLatencies, 99))}`, 'p99 < 10'],
      ['GET p50 / p99, 1 client (ms)', `${fmt(percentile(singleGetLatencies, 50), 2)} / ${fmt(percentile(singleGetLatencies, 99), 2)}`, ''],
      ['server CPU per GET (ms)', fmt(serverCpuPerGet * 1000, 2), ''],
      [`LIST ${listed} objects, median (ms)`, fmt(median(listTimes)), '< 300'],
      ['watch delivery after ack, p99 (ms)', fmt(percentile(afterAck, 99)), '< 20'],
      ['watch delivery after send, p99 (ms)', fmt(percentile(afterSend, 99)), ''],
      ['RSS holding 1,000 Deployments (MiB)', fmt(rss1000), '< 200'],
      [`RSS holding ${CREATES + 5000} ConfigMaps + 1,000 Deployments (MiB)`, fmt(loadedRss), ''],
    ]);
  } finally {
    child.kill(process.env.BENCH_TSK ? 'SIGTERM' : 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
