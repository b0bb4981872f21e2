/**
 * Cluster DNS figures (issue 6), printed as a table: `node --import tsx bench/dns.ts`.
 * Runs pkg/network/dns in this process on 127.0.0.1 with fake sources (BENCH_SERVICES
 * Services, 300 by default) and a fake upstream, and a loopback UDP client keeping
 * BENCH_CONCURRENCY (32) queries in flight for BENCH_QUERIES (20,000) queries per name:
 *   cluster name       web-7.default.svc.cluster.local A, answered from the record index
 *   forwarded, cached  www.example.org A, forwarded once and then answered from the cache
 * Latency is from send to reply on the client, in the same process as the server, so it
 * includes the client's own work; a pod's resolver adds a veth hop.
 * Then the record index's costs, for those Services and for BENCH_BIG_SERVICES (5,000) Services
 * with 3 endpoints each: the first build (at start, over the informers' contents) and what the
 * first query after one Service changed pays (that Service's part rebuilt).
 */
import dgram from 'node:dgram';
import * as packet from 'dns-packet';
import { Forwarder } from '../pkg/network/dns/forward.ts';
import { RecordIndex } from '../pkg/network/dns/records.ts';
import { Resolver } from '../pkg/network/dns/resolver.ts';
import { DnsServer } from '../pkg/network/dns/server.ts';
import { endpointSlice, FakeSource, fakeUpstream, service } from '../pkg/network/dns/testkit.ts';
import { fmt, median, percentile, printTable } from './lib/stats.ts';

const SERVICES = Number(process.env.BENCH_SERVICES ?? 300);
const BIG_SERVICES = Number(process.env.BENCH_BIG_SERVICES ?? 5_000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

async function load(port: number, name: string): Promise<{ qps: number; p50: number; p99: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const started = new Map<number, bigint>();
  const latencies: number[] = [];
  let sent = 0;
  let nextId = 0;
  const send = () => {
    if (sent >= QUERIES) return;
    sent++;
    const id = nextId = (nextId + 1) & 0xffff;
    started.set(id, process.hrtime.bigint());
    sock.send(packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ name, type: 'A' }] }), port, '127.0.0.1');
  };
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    sock.on('message', (msg) => {
      const id = msg.readUInt16BE(0);
      const t = started.get(id);
      if (t === undefined) return;
      started.delete(id);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      if ((msg.readUInt16BE(2) & 0xf) !== 0) throw new Error(`${name}: rcode ${msg.readUInt16BE(2) & 0xf}`);
      if (latencies.length === QUERIES) resolve();
      else send();
    });
    for (let i = 0; i < CONCURRENCY; i++) send();
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  sock.close();
  return { qps: QUERIES / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function fakeCluster(count: number, endpoints: number): { services: FakeSource; slices: FakeSource } {
  const services = new FakeSource();
  const slices = new FakeSource();
  for (let i = 0; i < count; i++) {
    services.set(service('default', `web-${i}`, { clusterIP: `10.43.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80 }] }));
    const eps = Array.from({ length: endpoints }, (_, e) => ({ addresses: [`10.${42 + e}.${i >> 8}.${i & 255}`], conditions: { ready: true } }));
    slices.set(endpointSlice('default', `web-${i}`, eps, [{ name: 'http', port: 8080, protocol: 'TCP' }]));
  }
  return { services, slices };
}

/** ms of the first build, and the median ms a lookup pays after one Service changed. */
function indexMs(count: number, endpoints: number): { first: number; change: number } {
  const { services, slices } = fakeCluster(count, endpoints);
  let t = process.hrtime.bigint();
  const idx = new RecordIndex({ services, endpointSlices: slices, pods: new FakeSource() }, 'cluster.local');
  idx.lookup('web-0.default.svc.cluster.local');
  const first = Number(process.hrtime.bigint() - t) / 1e6;
  const sample: number[] = [];
  for (let i = 0; i < 21; i++) {
    services.set(service('default', 'web-0', { clusterIP: '10.43.0.0', ports: [{ name: 'http', port: 80 + (i % 2) }] }));
    t = process.hrtime.bigint();
    idx.lookup('web-0.default.svc.cluster.local');
    sample.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return { first, change: median(sample) };
}

const { services, slices } = fakeCluster(SERVICES, 1);
const upstream = await fakeUpstream((q) => ({ flags: 0, answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 300, data: '192.0.2.1' }] }));
const forwarder = new Forwarder({ servers: [`127.0.0.1:${upstream.port}`] });
const index = new RecordIndex({ services, endpointSlices: slices, pods: new FakeSource() }, 'cluster.local');
const server = new DnsServer({ resolver: new Resolver({ index, forwarder }), host: '127.0.0.1', port: 0 });
const { port } = await server.start();

// Warm up: JIT, the index build, and the cache entry for the forwarded name.
await load(port, 'web-7.default.svc.cluster.local');
await load(port, 'www.example.org');
const cluster = await load(port, 'web-7.default.svc.cluster.local');
const forwarded = await load(port, 'www.example.org');
const rows = [['cluster name', cluster], ['forwarded, cached', forwarded]] as const;
printTable(
  ['query', 'queries/s', 'p50 ms', 'p99 ms'],
  rows.map(([label, r]) => [label, fmt(r.qps, 0), fmt(r.p50, 2), fmt(r.p99, 2)]),
);
console.log(`${QUERIES} queries per row, ${CONCURRENCY} in flight, ${SERVICES} services; upstream asked ${upstream.seen.length} time(s)`);
await server.stop();
forwarder.close();
await upstream.close();
console.log('');
const sizes = [[SERVICES, 1], [BIG_SERVICES, 3]] as const;
printTable(
  ['record index', 'first build ms', 'after one change ms'],
  sizes.map(([n, e]) => {
    const r = indexMs(n, e);
    return [`${n} services x ${e} endpoint(s)`, fmt(r.first, 1), fmt(r.change, 3)];
  }),
);
