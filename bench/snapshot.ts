// Snapshot and restore figures (issue 7): 10,000 objects saved from and restored into the
// embedded sqlite store and real etcd 3.4 (Debian's etcd-server), in process, through
// pkg/snapshot (the same code `tsk etcd-snapshot` and the server's schedule run).
//   node --import tsx bench/snapshot.ts [--markdown]      BENCH_OBJECTS (10000), BENCH_RUNS (3)
// Each figure is the median of BENCH_RUNS; "loop delay" is the event-loop delay while a sqlite
// snapshot was taken (p99, and the worst of all runs): what the server's API requests would
// wait for meanwhile. A loaded machine adds its own delay; run it beside an idle baseline.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openEtcdBackend } from '../pkg/kv/etcd/backend.ts';
import { RANGE_END_ALL } from '../pkg/kv/keys.ts';
import { openSqliteBackend } from '../pkg/kv/sqlite/backend.ts';
import type { Backend, PutOp } from '../pkg/kv/types.ts';
import { restoreSnapshot } from '../pkg/snapshot/restore.ts';
import { saveSnapshot, type SavedSnapshot } from '../pkg/snapshot/save.ts';
import { startEtcd } from '../test/lib/etcd.ts';
import { fmt, median, printTable } from './lib/stats.ts';

const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const VOLATILE = ['/registry/leases/', '/registry/events/'];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-bench-snapshot-'));
let dirs = 0;
const freshDir = () => path.join(root, `d${dirs++}`);

/** A pod as the API server stores it (JSON, about 2 KiB). */
function podValue(i: number): Buffer {
  return Buffer.from(JSON.stringify({
    kind: 'Pod', apiVersion: 'v1',
    metadata: { name: `pod-${i}`, namespace: 'default', uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, creationTimestamp: '2026-12-03T12:00:00Z', labels: { app: 'bench', shard: String(i % 16) }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'bench-7d9f', uid: '11111111-2222-4333-8444-555555555555', controller: true, blockOwnerDeletion: true }] },
    spec: { containers: [{ name: 'app', image: 'registry.local/bench:1.0', command: ['/bin/sh', '-c', 'sleep infinity'], resources: { requests: { cpu: '10m', memory: '16Mi' } }, env: Array.from({ length: 8 }, (_, k) => ({ name: `VAR_${k}`, value: `value-${k}-${i}` })), terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', serviceAccountName: 'default', nodeName: `node-${i % 50}`, schedulerName: 'default-scheduler', tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] },
    status: { phase: 'Running', podIP: `10.42.${i % 250}.${i % 200}`, hostIP: '192.168.1.10', startTime: '2026-12-03T12:00:01Z', conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: '2026-12-03T12:00:02Z' })), containerStatuses: [{ name: 'app', ready: true, restartCount: 0, image: 'registry.local/bench:1.0', imageID: 'sha256:0123456789abcdef', containerID: `containerd://${String(i).padStart(64, 'c')}`, started: true, state: { running: { startedAt: '2026-12-03T12:00:02Z' } } }] },
  }));
}

async function fill(b: Backend): Promise<number> {
  let bytes = 0;
  for (let i = 0; i < OBJECTS; i += 100) {
    const ops: PutOp[] = [];
    for (let k = i; k < Math.min(OBJECTS, i + 100); k++) {
      const value = podValue(k);
      bytes += value.length;
      ops.push({ type: 'put', key: `/registry/pods/default/pod-${k}`, value });
    }
    await b.txn({ success: ops });
  }
  // Node heartbeats: volatile keys in sqlite (in memory, part of the snapshot).
  await b.txn({ success: Array.from({ length: 50 }, (_, k) => ({ type: 'put' as const, key: `/registry/leases/kube-node-lease/node-${k}`, value: Buffer.alloc(400, 'l') })) });
  return bytes;
}

async function timedSaves(b: Backend, compress: boolean): Promise<{ ms: number; saved: SavedSnapshot; stallMs: number; p99Ms: number }> {
  const times: number[] = [];
  const p99s: number[] = [];
  let saved: SavedSnapshot | undefined;
  let stall = 0;
  for (let r = 0; r < RUNS; r++) {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t = performance.now();
    saved = await saveSnapshot(b, { dir: path.join(root, 'snaps'), name: compress ? 'gz' : 'plain', node: 'bench', compress });
    times.push(performance.now() - t);
    h.disable();
    stall = Math.max(stall, h.max / 1e6);
    p99s.push(h.percentile(99) / 1e6);
  }
  return { ms: median(times), saved: saved!, stallMs: stall, p99Ms: median(p99s) };
}

async function timedRestores(file: string, target: () => Promise<{ dataDir: string; endpoint?: string; reset?: () => Promise<void> }>): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const { dataDir, endpoint, reset } = await target();
    const t = performance.now();
    await restoreSnapshot({ file, dataDir, datastoreEndpoint: endpoint, volatilePrefixes: VOLATILE, openEtcd: async (e) => openEtcdBackend({ endpoints: [e.replace('etcd://', '')], tls: false }) });
    times.push(performance.now() - t);
    await reset?.();
  }
  return median(times);
}

async function main(): Promise<void> {
  const rows: string[][] = [];
  const mib = (n: number) => fmt(n / 1024 / 1024, 1);
  const sqliteDir = freshDir();
  const sqlite = await openSqliteBackend({ file: path.join(sqliteDir, 'state.db'), volatilePrefixes: VOLATILE });
  const bytes = await fill(sqlite);
  const plain = await timedSaves(sqlite, false);
  const gz = await timedSaves(sqlite, true);
  await sqlite.close();
  const intoSqlite = await timedRestores(plain.saved.file, async () => ({ dataDir: freshDir() }));
  rows.push(['sqlite', 'save', fmt(plain.ms, 0), mib(plain.saved.size), `${fmt(plain.p99Ms, 1)} / ${fmt(plain.stallMs, 1)}`]);
  rows.push(['sqlite', 'save, gzip', fmt(gz.ms, 0), mib(gz.saved.size), `${fmt(gz.p99Ms, 1)} / ${fmt(gz.stallMs, 1)}`]);
  rows.push(['sqlite', 'restore', fmt(intoSqlite, 0), '', '']);

  const etcd = await startEtcd();
  try {
    const client = await openEtcdBackend({ endpoints: [etcd.endpoint], tls: false });
    const endpoint = `etcd://${etcd.endpoint}`;
    const wipe = async () => {
      await client.txn({ success: [{ type: 'delete', key: '\0', end: RANGE_END_ALL }] });
    };
    const intoEtcd = await timedRestores(plain.saved.file, async () => ({ dataDir: freshDir(), endpoint, reset: wipe }));
    await restoreSnapshot({ file: plain.saved.file, dataDir: freshDir(), datastoreEndpoint: endpoint, volatilePrefixes: [], openEtcd: async () => openEtcdBackend({ endpoints: [etcd.endpoint], tls: false }) });
    const fromEtcd = await timedSaves(client, false);
    rows.push(['etcd 3.4', 'save', fmt(fromEtcd.ms, 0), mib(fromEtcd.saved.size), '']);
    rows.push(['etcd 3.4', 'restore', fmt(intoEtcd, 0), '', '']);
    await client.close();
  } finally {
    await etcd.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(`${OBJECTS} pods (${mib(bytes)} MiB of JSON) + 50 node leases; median of ${RUNS} runs; ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}`);
  printTable(['datastore', 'operation', 'ms', 'file MiB', 'loop delay p99 / max ms'], rows);
}

void main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  fs.rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
