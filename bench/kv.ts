// Datastore figures, tsk beside real etcd 3.4, both driven through the etcd v3 API by the same
// client (pkg/kv/etcd). Prints a table; --markdown prints it for the README; --quick runs less.
//   npx tsx bench/kv.ts [--quick] [--markdown]
import { openEtcdBackend } from '../pkg/kv/etcd/backend.ts';
import type { Backend } from '../pkg/kv/types.ts';
import { fmt, median, percentile, printTable } from './lib/stats.ts';
import { rssBytes, startRealEtcd, startTsk, type Target } from './lib/targets.ts';

const quick = process.argv.includes('--quick');
const CREATES = quick ? 4000 : 16000;
const SEQUENTIAL = quick ? 500 : 2000;
const RANGE_KEYS = 10_000;
const WATCHED = quick ? 300 : 1000;
const value1k = Buffer.alloc(1024, 'v');

interface Figures {
  createsPerSec: number;
  putP50: number;
  putP99: number;
  rangeMs: number;
  watchP50: number;
  watchP99: number;
  rssMiB: number;
}

async function creates16(client: Backend, prefix: string): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (;;) {
      const i = next++;
      if (i >= CREATES) return;
      const key = `${prefix}${i}`;
      const r = await client.txn({ compare: [{ key, target: 'create', result: '=', value: 0 }], success: [{ type: 'put', key, value: value1k }] });
      if (!r.succeeded) throw new Error(`create of ${key} lost a race it cannot lose`);
    }
  }));
  return CREATES / ((performance.now() - start) / 1000);
}

async function sequentialPuts(client: Backend, prefix: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = performance.now();
    await client.txn({ success: [{ type: 'put', key: `${prefix}${i % 100}`, value: value1k }] });
    latencies.push(performance.now() - t);
  }
  return latencies;
}

async function range10k(client: Backend, prefix: string): Promise<number> {
  for (let i = 0; i < RANGE_KEYS; i += 100) {
    await client.txn({ success: Array.from({ length: 100 }, (_, j) => ({ type: 'put' as const, key: `${prefix}${String(i + j).padStart(6, '0')}`, value: value1k })) });
  }
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const r = await client.range(prefix, { end: `${prefix}~` });
    times.push(performance.now() - t);
    if (r.kvs.length !== RANGE_KEYS) throw new Error(`range returned ${r.kvs.length} keys`);
  }
  return median(times);
}

/** Event arrival minus the writer's acknowledgement, per write (negative: the event came first). */
async function watchDelivery(writer: Backend, watcherClient: Backend, prefix: string): Promise<number[]> {
  const arrived = new Map<number, number>();
  const w = watcherClient.watch(prefix, { end: `${prefix}~` }, (batch) => {
    const now = performance.now();
    for (const e of batch.events) arrived.set(e.kv.modRevision, now);
  });
  await new Promise((r) => setTimeout(r, 200));
  const acked = new Map<number, number>();
  for (let i = 0; i < WATCHED; i++) {
    const r = await writer.txn({ success: [{ type: 'put', key: `${prefix}${i % 10}`, value: value1k }] });
    acked.set(r.revision, performance.now());
  }
  for (let i = 0; i < 100 && arrived.size < acked.size; i++) await new Promise((r) => setTimeout(r, 20));
  w.cancel();
  const deltas: number[] = [];
  for (const [rev, ack] of acked) {
    const at = arrived.get(rev);
    if (at === undefined) throw new Error(`watch never delivered revision ${rev}`);
    deltas.push(at - ack);
  }
  return deltas;
}

async function measure(target: Target): Promise<Figures> {
  const client = await openEtcdBackend({ endpoints: [target.endpoint], tls: false });
  const watcher = await openEtcdBackend({ endpoints: [target.endpoint], tls: false });
  try {
    const run = `bench/${Date.now()}/`;
    const createsPerSec = await creates16(client, `${run}create/`);
    const puts = await sequentialPuts(client, `${run}seq/`);
    const rangeMs = await range10k(client, `${run}range/`);
    const deltas = await watchDelivery(client, watcher, `${run}watch/`);
    return {
      createsPerSec,
      putP50: percentile(puts, 50),
      putP99: percentile(puts, 99),
      rangeMs,
      watchP50: percentile(deltas, 50),
      watchP99: percentile(deltas, 99),
      rssMiB: rssBytes(target.pid) / 1048576,
    };
  } finally {
    await client.close();
    await watcher.close();
  }
}

const results: Array<[string, Figures]> = [];
for (const start of [() => startRealEtcd(), () => startTsk()]) {
  const target = await start();
  try {
    results.push([target.name, await measure(target)]);
  } finally {
    await target.stop();
  }
}

printTable(
  ['server', 'creates/s (16 in flight, 1 KiB)', 'put p50 ms', 'put p99 ms', 'range 10k×1 KiB ms', 'watch after ack p50 ms', 'p99 ms', 'RSS MiB'],
  results.map(([name, f]) => [name, fmt(f.createsPerSec), fmt(f.putP50, 2), fmt(f.putP99, 2), fmt(f.rangeMs), fmt(f.watchP50, 2), fmt(f.watchP99, 2), fmt(f.rssMiB)]),
);
