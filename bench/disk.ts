// Disk figures, tsk beside real etcd 3.4 through the etcd v3 API:
//  1. bytes written per minute by a quiet cluster's heartbeats (node Lease renewals every 10 s,
//     two leader-election renewals every 2 s, as compare-and-swap updates like the API server's);
//  2. database size after 100,000 updates of 1,000 keys with compaction on.
//   npx tsx bench/disk.ts [--quick] [--markdown]
import { openEtcdBackend } from '../pkg/kv/etcd/backend.ts';
import type { Backend } from '../pkg/kv/types.ts';
import { fmt, printTable } from './lib/stats.ts';
import { processWrites, startRealEtcd, startTsk, type Target } from './lib/targets.ts';

const quick = process.argv.includes('--quick');
const IDLE_SECONDS = quick ? 20 : 60;
const NODES = 10;
const UPDATES = quick ? 20_000 : 100_000;
const KEYS = 1000;
const leaseValue = (holder: string, n: number) => Buffer.from(JSON.stringify({
  kind: 'Lease', apiVersion: 'coordination.k8s.io/v1',
  metadata: { name: holder, namespace: 'kube-node-lease', uid: '00000000-0000-0000-0000-000000000000' },
  spec: { holderIdentity: holder, leaseDurationSeconds: 40, renewTime: new Date(Date.now() + n).toISOString() },
}));

/** One CAS renewal, as the API server's GuaranteedUpdate does it. */
async function renew(client: Backend, key: string, n: number): Promise<void> {
  const cur = (await client.range(key)).kvs[0];
  await client.txn({
    compare: [{ key, target: 'mod', result: '=', value: cur?.modRevision ?? 0 }],
    success: [{ type: 'put', key, value: leaseValue(key, n) }],
  });
}

async function idleWrites(target: Target): Promise<{ storage: number; syscalls: number; writes: number }> {
  const client = await openEtcdBackend({ endpoints: [target.endpoint], tls: false });
  const nodeKeys = Array.from({ length: NODES }, (_, i) => `/registry/leases/kube-node-lease/node-${i}`);
  const leaderKeys = ['/registry/leases/kube-system/kube-scheduler', '/registry/leases/kube-system/kube-controller-manager'];
  let writes = 0;
  for (const key of [...nodeKeys, ...leaderKeys]) await renew(client, key, 0);
  // Let start-up writes settle (tsk folds its WAL into the file once 30 s have passed without
  // file writes, checked every 10 s), so the window measures a quiet cluster's steady state.
  await new Promise((r) => setTimeout(r, quick ? 1000 : 45_000));
  const before = processWrites(target.pid);
  const end = Date.now() + IDLE_SECONDS * 1000;
  let tick = 0;
  while (Date.now() < end) {
    // Leaders renew every 2 s; each node every 10 s, spread over the five 2 s ticks.
    const due = [...leaderKeys, ...nodeKeys.filter((_, i) => tick % 5 === i % 5)];
    for (const key of due) {
      await renew(client, key, tick);
      writes++;
    }
    tick++;
    await new Promise((r) => setTimeout(r, 2000 - (Date.now() % 2000)));
  }
  const after = processWrites(target.pid);
  await client.close();
  const perMinute = 60 / IDLE_SECONDS;
  return { storage: (after.storage - before.storage) * perMinute, syscalls: (after.syscalls - before.syscalls) * perMinute, writes: writes * perMinute };
}

async function churn(target: Target): Promise<{ after: number; atRest: number }> {
  const client = await openEtcdBackend({ endpoints: [target.endpoint], tls: false });
  const value = Buffer.alloc(1024, 'c');
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (;;) {
      const i = next++;
      if (i >= UPDATES) return;
      await client.txn({ success: [{ type: 'put', key: `/churn/${String(i % KEYS).padStart(4, '0')}`, value }] });
    }
  }));
  await client.close();
  await new Promise((r) => setTimeout(r, 3000));
  const after = target.diskBytes();
  // tsk folds its WAL into the file once 30 s have passed without writes (checked every
  // 10 s); etcd keeps what it has.
  await new Promise((r) => setTimeout(r, quick ? 5000 : 45_000));
  return { after, atRest: target.diskBytes() };
}

const idle: string[][] = [];
const size: string[][] = [];
const targets: Array<() => Promise<Target>> = [
  () => startRealEtcd(['--auto-compaction-mode=revision', '--auto-compaction-retention=1000']),
  () => startTsk(),
  () => startTsk(['--datastore-volatile-prefix', 'none'], 'tsk (sqlite, volatile keys off)'),
];
for (const start of targets) {
  const target = await start();
  try {
    const w = await idleWrites(target);
    idle.push([target.name, fmt(w.writes), fmt(w.storage / 1024), fmt(w.syscalls / 1024)]);
    const bytes = await churn(target);
    size.push([target.name, fmt(bytes.after / 1048576, 2), fmt(bytes.after / (KEYS * 1024), 1), fmt(bytes.atRest / 1048576, 2), fmt(bytes.atRest / (KEYS * 1024), 1)]);
  } finally {
    await target.stop();
  }
}

console.log(`Heartbeats of ${NODES} nodes and 2 leader elections, ${IDLE_SECONDS} s, scaled to one minute:`);
printTable(['server', 'renewals/min', 'KiB to storage/min', 'KiB written (syscalls)/min'], idle);
console.log(`\nAfter ${UPDATES.toLocaleString('en-US')} updates of ${KEYS} keys × 1 KiB (live data 1 MiB), files on disk:`);
printTable(['server', 'MiB on disk 3 s after', '× live data', 'MiB at rest (45 s later)', '× live data'], size);
