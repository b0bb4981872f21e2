/**
 * Cluster networking figures on a real single-node tsk (issue 6), printed as tables:
 * `node --import tsx bench/network.ts [--markdown]` (root; `make` first: it runs dist/tsk).
 * The server runs with its agent (managed containerd, CNI bridge, service proxy, cluster DNS) on
 * the host's address. Three backend pods run a Node.js HTTP server (the host's node, its /usr mounted
 * read-only at /host/usr, as busybox httpd cannot keep a connection alive) that answers with its pod
 * name; a busybox client pod only provides a network namespace: the load client
 * (lib/podclient.mjs) is the host's node started inside it with nsenter, so what is measured is
 * the pod's network path.
 *   1. HTTP: BENCH_ROUNDS (3) rounds of BENCH_REQUESTS (2,000) requests per line, BENCH_CONCURRENCY
 *      (4) in flight, lines taken in turn each round: a new connection per request (through
 *      conntrack and NAT) and, second, over kept-alive connections; to a pod IP, to a ClusterIP
 *      with that pod as its one endpoint, to a ClusterIP with three, and to a NodePort at the
 *      node's address from the host.
 *   2. Change → rule in place, end to end through the API, BENCH_CHANGES (10) times each: a Service
 *      created for ready pods → the first request to its ClusterIP that gets an answer; the
 *      Service deleted → the first that gets none; a pod relabelled out of the Service's selector
 *      → the first request after the last one it answered; relabelled back → the first it
 *      answers; the same with readiness (the readiness file removed/restored in the pod, so this
 *      includes the kubelet's 1 s probe period; the change's moment is spread over a period). Each
 *      row but deletion has a second: the time to the EndpointSlice seen on a watch, the control
 *      plane's part of it. The client polls with a new connection every
 *      ~2 ms. ClusterIPs of the created Services come from 10.43.250.0/24, routed as local
 *      addresses of the host while the bench runs, on a port nothing there listens on: a request
 *      before the rule exists is refused at once by the host's TCP (an `unreachable` route would
 *      answer with ICMP, which the kernel rate-limits to one a second, and a request the rules do
 *      not take would otherwise leave the machine).
 *   3. DNS: BENCH_DNS_QUERIES (20,000) UDP queries per name from the client pod to 10.43.0.10,
 *      BENCH_DNS_CONCURRENCY (16) in flight: a Service's name, a forwarded name answered from the
 *      cache (example.com if the host's resolver answers it, even NXDOMAIN; else left out), and a
 *      name of the cluster zone that does not exist.
 * BENCH_VERBOSE=1 prints each change's times on stderr.
 * Everything is removed at the end, on failure and on SIGINT/SIGTERM too.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { KObject } from '../pkg/api/types.ts';
import { Client } from '../pkg/client/client.ts';
import { BUSYBOX_IMAGE, defaultRouteAddress, startAgentCluster, type AgentCluster } from '../test/lib/agent.ts';
import { PodClient, type Load } from './lib/inpod.ts';
import { fmt, percentile, printTable } from './lib/stats.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 10);
const DNS_QUERIES = Number(process.env.BENCH_DNS_QUERIES ?? 20_000);
const DNS_CONCURRENCY = Number(process.env.BENCH_DNS_CONCURRENCY ?? 16);
const PROBE_NET = '10.43.250';
const CLUSTER_DNS = '10.43.0.10';
const NS = '/api/v1/namespaces/default';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

/** The dynamic loader and library folder of the host's node, for running it from a /usr mount. */
function nodeLoader(): { loader: string; libs: string } {
  const ldd = execFileSync('ldd', [process.execPath], { encoding: 'utf8' });
  const loader = fs.realpathSync(/^\s*(\/\S*ld-linux\S*)/m.exec(ldd)![1]!);
  const libs = path.dirname(fs.realpathSync(/libc\.so\.6 => (\S+)/.exec(ldd)![1]!));
  for (const p of [loader, libs, fs.realpathSync(process.execPath)]) if (!p.startsWith('/usr/')) throw new Error(`${p} is not under /usr`);
  return { loader, libs };
}

/** Where the host's /usr is mounted in the server pods (not on /usr: the image's PATH would find Debian's programs first). */
const MOUNT = '/host';

const SERVER = `const fs = require('fs'); const name = require('os').hostname();
fs.writeFileSync('/tmp/ready', '');
require('http').createServer((req, res) => {
  if (req.url === '/ready') { res.statusCode = fs.existsSync('/tmp/ready') ? 200 : 503; res.end(); return; }
  res.end(name);
}).listen(8080);`;

function webPod(name: string): KObject {
  const { loader, libs } = nodeLoader();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web', bench: 'in', pod: name } },
    spec: {
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'usr', hostPath: { path: '/usr', type: 'Directory' } }],
      containers: [{
        name: 'http',
        image: BUSYBOX_IMAGE,
        command: [`${MOUNT}${loader}`, '--library-path', `${MOUNT}${libs}`, `${MOUNT}${fs.realpathSync(process.execPath)}`, '-e', SERVER],
        ports: [{ name: 'http', containerPort: 8080 }],
        volumeMounts: [{ name: 'usr', mountPath: `${MOUNT}/usr`, readOnly: true }],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
      }],
    },
  } as KObject;
}

const serviceOf = (name: string, selector: Record<string, string>, spec: Record<string, unknown> = {}, port = 80): KObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector, ports: [{ name: 'http', port, targetPort: 'http' }], ...spec },
}) as KObject;

/** A port no socket on the host holds for `ip` (a wildcard listener would hold it too). */
function freePortOn(ip: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, ip, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function readyEndpoints(api: Client, svc: string): Promise<number> {
  const slices = await api.list('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', { labelSelector: `kubernetes.io/service-name=${svc}` });
  return slices.items.flatMap((s: any) => (s.endpoints ?? []).filter((e: any) => e.conditions?.ready)).length;
}

/** PID of the pod's first container's main process (its network namespace is the pod's). */
function containerPid(c: AgentCluster, pod: KObject): number {
  const id = String((pod.status as any).containerStatuses[0].containerID).replace(/^\w+:\/\//, '');
  const row = c.ctr(['task', 'ls']).split('\n').find((l) => l.startsWith(id));
  if (!row) throw new Error(`no task ${id} for pod ${pod.metadata.name}`);
  return Number(row.trim().split(/\s+/)[1]);
}

const loadRow = (label: string, loads: Load[]) => {
  const ms = loads.flatMap((l) => l.ms);
  const seconds = loads.reduce((s, l) => s + l.seconds, 0);
  const failed = loads.reduce((s, l) => s + (l.errors ?? l.timeouts ?? 0), 0);
  return [label, fmt(ms.length / seconds, 0), fmt(percentile(ms, 50), 2), fmt(percentile(ms, 99), 2), String(failed)];
};

const changeRow = (label: string, sample: number[]) =>
  [label, String(sample.length), fmt(percentile(sample, 50), 0), fmt(Math.max(...sample), 0)];

async function httpFigures(inPod: PodClient, onHost: PodClient, t: { podIp: string; one: string; three: string; nodeIp: string; nodePort: number }): Promise<string[][]> {
  const lines: [string, PodClient, string, number, boolean][] = [
    ['pod IP', inPod, t.podIp, 8080, false],
    ['ClusterIP, that pod its one endpoint', inPod, t.one, 80, false],
    ['ClusterIP, 3 endpoints', inPod, t.three, 80, false],
    ['NodePort from the host, 3 endpoints', onHost, t.nodeIp, t.nodePort, false],
    ['pod IP, keep-alive', inPod, t.podIp, 8080, true],
    ['ClusterIP (one endpoint), keep-alive', inPod, t.one, 80, true],
    ['ClusterIP (3 endpoints), keep-alive', inPod, t.three, 80, true],
  ];
  const run = ([, client, host, port, keepAlive]: (typeof lines)[number], count: number) =>
    client.run<Load>({ op: 'http', host, port, count, concurrency: CONCURRENCY, keepAlive });
  for (const line of lines) await run(line, 500);
  const pooled = lines.map(() => [] as Load[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, line] of lines.entries()) pooled[i]!.push(await run(line, REQUESTS));
  }
  return lines.map(([label], i) => loadRow(label, pooled[i]!));
}

/**
 * Starts `poll` in the pod, makes the change; when the change was made, and ms from then to what
 * the poll saw. `jitterMs` spreads the change's moment, for changes a periodic probe picks up.
 */
async function timeChange(inPod: PodClient, poll: Record<string, unknown>, change: () => Promise<unknown>, jitterMs = 0): Promise<{ t0: number; ms: number }> {
  const seen = inPod.run<{ at: number }>({ op: 'until', timeoutMs: 60_000, ...poll });
  await sleep(100 + Math.random() * jitterMs);
  const t0 = now();
  await change();
  return { t0, ms: Math.max(0, (await seen).at - t0) };
}

/**
 * When EndpointSlices were seen with how many ready endpoints, from one watch: splits a change's
 * time into the control plane's part and the node's.
 */
function watchSlices(api: Client): { seen(service: string, ready: number, after: number): Promise<number>; stop(): void } {
  const events: { service: string; ready: number; at: number }[] = [];
  const stream = api.watch('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {});
  void (async () => {
    for await (const event of stream) {
      const slice = event.object as any;
      const ready = event.type === 'DELETED' ? 0 : (slice.endpoints ?? []).filter((e: any) => e.conditions?.ready).length;
      events.push({ service: slice.metadata.labels?.['kubernetes.io/service-name'], ready, at: now() });
    }
  })().catch(() => {});
  return {
    seen: (service, ready, after) => waitFor(`${service}'s slice with ${ready} ready`, async () => events.find((e) => e.service === service && e.ready === ready && e.at >= after)?.at, 10_000),
    stop: () => stream.stop(),
  };
}

async function changeFigures(c: AgentCluster, api: Client, inPod: PodClient, webIp: string, pods: KObject[]): Promise<string[][]> {
  const slices = watchSlices(api);
  const s: Record<string, number[]> = {};
  const add = (key: string, ms: number) => (s[key] ??= []).push(ms);
  /** The change's time, and the time to the EndpointSlice with `ready` endpoints on the watch. */
  const both = async (key: string, change: Promise<{ t0: number; ms: number }>, service: string, ready: number) => {
    const { t0, ms } = await change;
    add(key, ms);
    add(`${key} slice`, (await slices.seen(service, ready, t0)) - t0);
  };
  const port = await freePortOn(`${PROBE_NET}.1`);
  try {
    for (let i = 0; i < CHANGES; i++) {
      const ip = `${PROBE_NET}.${10 + i}`;
      const name = `probe-${i}`;
      await both('create', timeChange(inPod, { host: ip, port, want: 'answer' }, () => api.create(`${NS}/services`, serviceOf(name, { app: 'web', bench: 'in' }, { clusterIP: ip }, port))), name, pods.length);
      add('remove', (await timeChange(inPod, { host: ip, port, want: 'refused' }, () => api.delete(`${NS}/services/${name}`))).ms);
      const victim = pods[i % pods.length]!;
      const who = victim.metadata.name!;
      const gone = { host: webIp, port: 80, want: 'gone', name: who };
      const back = { host: webIp, port: 80, want: 'answer', name: who };
      const label = (bench: string) => () => api.patch(`${NS}/pods/${who}`, { metadata: { labels: { bench } } }, 'merge');
      await both('out', timeChange(inPod, gone, label('out')), 'web', pods.length - 1);
      await both('back', timeChange(inPod, back, label('in')), 'web', pods.length);
      const readyFile = `/proc/${containerPid(c, victim)}/root/tmp/ready`;
      await both('unready', timeChange(inPod, gone, async () => fs.rmSync(readyFile), 1000), 'web', pods.length - 1);
      await both('ready', timeChange(inPod, back, async () => fs.writeFileSync(readyFile, ''), 1000), 'web', pods.length);
    }
  } finally {
    slices.stop();
  }
  if (process.env.BENCH_VERBOSE) for (const [key, sample] of Object.entries(s)) console.error(`${key}: ${sample.map((v) => v.toFixed(0)).join(' ')}`);
  const slice = (key: string) => changeRow('  of which: → the EndpointSlice seen on a watch', s[`${key} slice`]!);
  return [
    changeRow('Service created → its ClusterIP answers', s.create!),
    slice('create'),
    changeRow('Service deleted → its ClusterIP refuses', s.remove!),
    changeRow('pod relabelled out of the selector → no more requests reach it', s.out!),
    slice('out'),
    changeRow('pod relabelled back → requests reach it', s.back!),
    slice('back'),
    changeRow('pod turns unready (probe period 1 s) → no more requests reach it', s.unready!),
    slice('unready'),
    changeRow('pod turns ready again (probe period 1 s) → requests reach it', s.ready!),
    slice('ready'),
  ];
}

async function dnsFigures(inPod: PodClient): Promise<{ rows: string[][]; note: string }> {
  const query = (name: string, count: number, concurrency = DNS_CONCURRENCY) =>
    inPod.run<Load>({ op: 'dns', server: CLUSTER_DNS, name, type: 'A', count, concurrency });
  const names: [string, string][] = [['Service name (A)', 'web.default.svc.cluster.local']];
  const probe = await query('example.com', 1, 1);
  const rcode = Object.keys(probe.rcodes ?? {})[0] ?? 'no answer';
  if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') names.push([`forwarded, cached (${rcode})`, 'example.com']);
  names.push(['cluster zone, no such name (NXDOMAIN)', 'nothere.default.svc.cluster.local']);
  const rows: string[][] = [];
  for (const [label, name] of names) {
    await query(name, 2000);
    const load = await query(name, DNS_QUERIES);
    const codes = Object.entries(load.rcodes ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
    rows.push([...loadRow(`${label}: ${name}`, [load]), codes]);
  }
  return { rows, note: `example.com through the host's resolver: ${rcode}` };
}

async function main(): Promise<void> {
  if (os.userInfo().uid !== 0) throw new Error('bench/network.ts runs containers and changes routes: run it as root');
  const started = Date.now();
  const loadBefore = os.loadavg();
  const nodeIp = defaultRouteAddress();
  const clients: PodClient[] = [];
  let cluster: AgentCluster | undefined;
  let routed = false;
  const cleanUp = async () => {
    for (const client of clients.splice(0)) client.stop();
    if (routed) execFileSync('ip', ['route', 'del', 'local', `${PROBE_NET}.0/24`, 'dev', 'lo', 'table', 'local']);
    routed = false;
    const c = cluster;
    cluster = undefined;
    await c?.stop();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  try {
    cluster = await startAgentCluster({ nodeIp });
    const c = cluster;
    execFileSync('ip', ['route', 'add', 'local', `${PROBE_NET}.0/24`, 'dev', 'lo', 'table', 'local']);
    routed = true;
    const api = Client.fromKubeconfig(c.kubeconfig, { userAgent: 'bench-network' });
    try {
      const names = ['web-0', 'web-1', 'web-2'];
      for (const name of names) await api.create(`${NS}/pods`, webPod(name));
      await api.create(`${NS}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client' }, spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'sh', image: BUSYBOX_IMAGE, command: ['sleep', '36000'] }] } } as KObject);
      const web = await api.create(`${NS}/services`, serviceOf('web', { app: 'web', bench: 'in' }));
      const one = await api.create(`${NS}/services`, serviceOf('web-one', { pod: 'web-0' }));
      const np = await api.create(`${NS}/services`, serviceOf('web-np', { app: 'web', bench: 'in' }, { type: 'NodePort' }));
      await waitFor('3 ready endpoints', async () => ((await readyEndpoints(api, 'web')) === 3 ? true : undefined));
      await waitFor('the one-endpoint Service', async () => ((await readyEndpoints(api, 'web-one')) === 1 ? true : undefined));
      const client = await waitFor('the client pod to run', async () => {
        const p = await api.get(`${NS}/pods/client`);
        return (p.status as any)?.phase === 'Running' ? p : undefined;
      });
      const pods = await Promise.all(names.map((n) => api.get(`${NS}/pods/${n}`)));
      const inPod = await PodClient.start(containerPid(c, client));
      clients.push(inPod);
      const onHost = await PodClient.start();
      clients.push(onHost);

      const http = await httpFigures(inPod, onHost, {
        podIp: (pods[0]!.status as any).podIP,
        one: (one.spec as any).clusterIP,
        three: (web.spec as any).clusterIP,
        nodeIp,
        nodePort: (np.spec as any).ports[0].nodePort,
      });
      printTable(['HTTP from a pod', 'requests/s', 'p50 ms', 'p99 ms', 'failed'], http);
      console.log(`${ROUNDS} × ${REQUESTS} requests per line, ${CONCURRENCY} in flight; Node.js client and servers, one node`);
      console.log('');
      const changes = await changeFigures(c, api, inPod, (web.spec as any).clusterIP, pods);
      printTable(['change through the API → seen from a pod (ms)', 'times', 'p50', 'max'], changes);
      console.log(`from the API call (or the readiness file's removal/creation) to the first request that showed the change; polled every ~2 ms`);
      console.log('');
      const dns = await dnsFigures(inPod);
      printTable([`DNS from a pod to ${CLUSTER_DNS}`, 'queries/s', 'p50 ms', 'p99 ms', 'timeouts', 'answers'], dns.rows);
      console.log(`${DNS_QUERIES} UDP queries per line, ${DNS_CONCURRENCY} in flight; ${dns.note}`);
    } catch (err) {
      const pods = await c.kubectl(['get', 'pods', '-o', 'wide']);
      const events = await c.kubectl(['get', 'events', '--sort-by=.lastTimestamp']);
      const web0 = await c.kubectl(['logs', 'web-0', '--previous']);
      const log = c.server().stderr().split('\n').slice(-30).join('\n');
      throw new Error(`${(err as Error).message}\n${pods.stdout}\nweb-0's log: ${web0.stdout}${web0.stderr}\n${events.stdout.split('\n').slice(-20).join('\n')}\nthe server's last log lines:\n${log}`);
    } finally {
      api.close();
    }
  } finally {
    await cleanUp();
    const loadAfter = os.loadavg();
    console.log('');
    console.log(`run took ${fmt((Date.now() - started) / 1000, 0)} s; load average (1 min) ${fmt(loadBefore[0]!, 2)} before, ${fmt(loadAfter[0]!, 2)} after; ${os.cpus().length} cores`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench/network: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
