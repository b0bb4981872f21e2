/**
 * Service proxy figures (issue 6), printed as tables: `node --import tsx bench/proxy.ts`
 * (root; everything runs in network namespaces it creates and removes).
 *
 * 1. Rule latency: the proxier runs here with fake informers and real iptables in a fresh
 *    namespace, with 1, 100 and 1,000 Services of 2 endpoints each (BENCH_SIZES). One
 *    EndpointSlice changes (an endpoint replaced), and the time is taken from that event to
 *    iptables-restore having committed the change (ServiceProxy.flushed()), BENCH_CHANGES
 *    times per size; it includes the 30 ms debounce. Also the first full sync.
 * 2. Data path: BENCH_ROUNDS (3) rounds of BENCH_REQUESTS (2,000) HTTP requests (a new
 *    connection each, so each is NATed through conntrack), BENCH_CONCURRENCY (4) at a time,
 *    from a client pod namespace to a server pod: straight to the pod IP, through its
 *    ClusterIP, and from outside the node to its NodePort.
 */
import { endpointSlice, FakeSource, service } from '../pkg/network/dns/testkit.ts';
import { Iptables } from '../pkg/network/iptables.ts';
import { startServiceProxy } from '../pkg/network/proxy/proxier.ts';
import { CLUSTER_CIDR, NODE_IP, ProxyLab, SERVER_PORT, type Answer } from '../pkg/network/proxy/testkit.ts';
import { cniMissing, Netns } from '../pkg/network/testkit.ts';
import { fmt, median, percentile, printTable } from './lib/stats.ts';

const SIZES = (process.env.BENCH_SIZES ?? '1,100,1000').split(',').map(Number);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 20);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

if (cniMissing) {
  console.error(`bench/proxy.ts: ${cniMissing}`);
  process.exit(1);
}

const ip = (i: number, endpoint: number) => `10.${42 + endpoint}.${(i >> 8) & 255}.${i & 255}`;
const slice = (i: number, ips: string[]) =>
  endpointSlice('default', `web-${i}`, ips.map((address) => ({ addresses: [address], conditions: { ready: true }, nodeName: 'node-a' })), [{ name: 'http', port: 8080, protocol: 'TCP' }]);

async function ruleLatency(count: number): Promise<string[]> {
  const netns = Netns.create('tsk-prxb-rules');
  try {
    const services = new FakeSource();
    const slices = new FakeSource();
    for (let i = 0; i < count; i++) {
      services.set(service('default', `web-${i}`, { clusterIP: `10.43.${(i >> 8) & 255}.${i & 255}`, ports: [{ name: 'http', port: 80 }] }));
      slices.set(slice(i, [ip(i, 0), ip(i, 1)]));
    }
    const iptables = new Iptables({ netns: netns.name });
    const proxy = startServiceProxy({ services, endpointSlices: slices, nodeName: 'node-a', clusterCidr: CLUSTER_CIDR, iptables });
    await proxy.synced;
    const full = proxy.lastSync()!;
    const latencies: number[] = [];
    const syncs: number[] = [];
    let chains = 0;
    for (let n = 0; n < CHANGES; n++) {
      const target = (n * 7919) % count;
      const t0 = performance.now();
      slices.set(slice(target, [ip(target, 0), ip(target, 2 + n)]));
      await proxy.flushed();
      latencies.push(performance.now() - t0);
      syncs.push(proxy.lastSync()!.durationMs);
      chains = proxy.lastSync()!.changedChains;
    }
    // Not timed: the last change is really in the kernel's table.
    const last = (CHANGES - 1) * 7919 % count;
    if (!(await iptables.save('nat')).includes(`--to-destination ${ip(last, 2 + CHANGES - 1)}:8080`)) throw new Error('last change not in iptables');
    await proxy.stop();
    return [String(count), fmt(full.durationMs, 0), String(full.changedChains), fmt(median(latencies), 1), fmt(Math.max(...latencies), 1), fmt(median(syncs), 1), String(chains)];
  } finally {
    netns.remove();
  }
}

function summary(label: string, answers: Answer[], seconds: number): string[] {
  const failed = answers.filter((a) => a.error).length;
  const ms = answers.map((a) => a.ms);
  return [label, fmt(answers.length / seconds, 0), fmt(median(ms), 2), fmt(percentile(ms, 99), 2), String(failed)];
}

async function dataPath(): Promise<string[][]> {
  const lab = await ProxyLab.create('tsk-prxb', [{ name: 'server', server: true }, { name: 'client', server: false }]);
  const services = new FakeSource([service('default', 'web', { clusterIP: '10.43.0.10', type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })]);
  const slices = new FakeSource([endpointSlice('default', 'web', [{ addresses: [lab.pod('server').ip], conditions: { ready: true }, nodeName: 'node-a' }], [{ name: 'http', port: SERVER_PORT }])]);
  const proxy = startServiceProxy({ services, endpointSlices: slices, nodeName: 'node-a', clusterCidr: CLUSTER_CIDR, iptables: new Iptables({ netns: lab.node.name }) });
  try {
    await proxy.synced;
    const client = lab.pod('client').netns;
    const targets: [string, () => Promise<Answer[]>][] = [
      ['pod IP', () => lab.request(client, lab.pod('server').ip, SERVER_PORT, REQUESTS, { concurrency: CONCURRENCY })],
      ['ClusterIP', () => lab.request(client, '10.43.0.10', 80, REQUESTS, { concurrency: CONCURRENCY })],
      ['NodePort from outside', () => lab.request(lab.outside, NODE_IP, 30080, REQUESTS, { concurrency: CONCURRENCY })],
    ];
    // Warm-up (JIT in client and server), then ROUNDS rounds taking the targets in turn, so
    // load from others on the machine falls on all of them alike.
    for (const [, run] of targets) await run();
    const pooled = targets.map(() => ({ answers: [] as Answer[], seconds: 0 }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [, run]] of targets.entries()) {
        const t0 = performance.now();
        pooled[i]!.answers.push(...(await run()));
        // The client's own start-up (~50 ms of node) is inside this wall time; per-request figures exclude it.
        pooled[i]!.seconds += (performance.now() - t0) / 1000;
      }
    }
    const rows = targets.map(([label], i) => summary(label, pooled[i]!.answers, pooled[i]!.seconds));
    return rows;
  } finally {
    await proxy.stop();
    lab.remove();
  }
}

const latencyRows: string[][] = [];
for (const size of SIZES) latencyRows.push(await ruleLatency(size));
printTable(['services', 'full sync ms', 'chains', 'change→rules p50 ms', 'max ms', 'sync p50 ms', 'chains written'], latencyRows);
console.log(`${CHANGES} changes per size (one endpoint replaced each), 2 endpoints per Service; change→rules includes the 30 ms debounce`);
console.log('');
printTable(['HTTP, new connection each', 'requests/s', 'p50 ms', 'p99 ms', 'failed'], await dataPath());
console.log(`${ROUNDS} × ${REQUESTS} requests per row, ${CONCURRENCY} in flight; client and server are node processes in pod namespaces on one bridge`);
