/**
 * Failover time when the leading server dies (issue 7), printed as a table:
 * `node --import tsx bench/failover.ts` (BENCH_ROUNDS, default 3).
 *
 * A three-member etcd on loopback, two `tsk server --disable-agent` (the second joined with
 * --server/--token) and one `tsk simulate` node. Each round SIGKILLs the server whose
 * controller manager leads, creates a Deployment (2 replicas) through the other at once, and
 * polls that server every 100 ms for:
 *   API            the survivor answering the create (it never stopped serving)
 *   CM Lease       kube-system/kube-controller-manager held by another identity
 *   ReplicaSet     the Deployment's ReplicaSet exists: the controllers act again
 *   pods           its 2 pods exist
 *   bound          both pods bound to the node: the scheduler acts again
 * then restarts the killed server on its data dir for the next round (which kills the other).
 *
 * What bounds it: leader election's Lease (15 s duration, 10 s renew deadline, 2 s retry,
 * client-go's defaults): a candidate takes a Lease once it has seen it unchanged for 15 s on
 * its own clock, and it polls every 2 s, so takeover comes 13–17 s after the leader's last
 * renewal, plus the controllers' informer sync.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KObject } from '../pkg/api/types.ts';
import { Client, isClientError } from '../pkg/client/client.ts';
import { startEtcdCluster } from '../test/lib/etcd.ts';
import { startCluster, type TestCluster } from '../test/lib/cluster.ts';
import { joinToken, startSimulate } from '../test/lib/simulate.ts';
import { fmt, median, printTable } from './lib/stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const POLL_MS = 100;
const LEADING = /leading: starting controllers/;

const etcd = await startEtcdCluster(3);
const endpoint = `etcd://${etcd.endpoints.join(',')}`;
const dataDirs: string[] = [];
const servers: TestCluster[] = [];
const stops: (() => Promise<void>)[] = [];

async function startServer(index: number, port?: number): Promise<TestCluster> {
  const join = index === 1 ? ['--server', servers[0]!.url, '--token', joinToken(servers[0]!)] : [];
  const dataDir = dataDirs[index] ?? fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'tsk-failover-'));
  dataDirs[index] = dataDir;
  return startCluster(['--datastore-endpoint', endpoint, ...join], { dataDir, port });
}

async function until<T>(check: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

const rows: string[][] = [];
const columns: Record<string, number[]> = { api: [], lease: [], rs: [], pods: [], bound: [] };
try {
  servers[0] = await startServer(0);
  servers[1] = await startServer(1);
  const sim = await startSimulate(servers[1], { nodes: 1, namePrefix: 'failover-' });
  stops.push(() => sim.kill());
  for (let round = 0; round < ROUNDS; round++) {
    const leaderIndex = await until(async () => {
      const i = servers.findIndex((s) => LEADING.test(s.server.stderr()));
      return i >= 0 ? i : undefined;
    });
    const leader = servers[leaderIndex]!;
    const survivor = servers[1 - leaderIndex]!;
    const client = Client.fromKubeconfig(survivor.kubeconfig, { userAgent: 'bench-failover' });
    const lease = () => client.get<{ spec?: { holderIdentity?: string } } & KObject>('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager');
    const before = (await lease()).spec?.holderIdentity;
    // Let the leader renew at least once more, so rounds start at comparable points of its renew cycle.
    await new Promise((r) => setTimeout(r, 3000));
    const name = `failover-${round}`;
    const t0 = Date.now();
    await leader.server.kill();
    await until(async () => {
      try {
        return await client.create('/apis/apps/v1/namespaces/default/deployments', {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name },
          spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
        });
      } catch (err) {
        if (isClientError(err, 'AlreadyExists')) return true;
        throw err;
      }
    });
    const api = Date.now() - t0;
    const seen: Record<string, number> = {};
    await until(async () => {
      const now = () => Date.now() - t0;
      if (seen.lease === undefined && (await lease()).spec?.holderIdentity !== before) seen.lease = now();
      if (seen.rs === undefined) {
        const rs = await client.list('/apis/apps/v1/namespaces/default/replicasets', { labelSelector: `app=${name}` });
        if (rs.items.length > 0) seen.rs = now();
      }
      const pods = (await client.list<KObject & { spec: { nodeName?: string } }>('/api/v1/namespaces/default/pods', { labelSelector: `app=${name}` })).items;
      if (seen.pods === undefined && pods.length === 2) seen.pods = now();
      if (seen.bound === undefined && pods.length === 2 && pods.every((p) => p.spec.nodeName)) seen.bound = now();
      return seen.lease !== undefined && seen.rs !== undefined && seen.bound !== undefined ? true : undefined;
    });
    client.close();
    columns.api!.push(api);
    for (const k of ['lease', 'rs', 'pods', 'bound'] as const) columns[k]!.push(seen[k]!);
    rows.push([`round ${round + 1}`, ...[api, seen.lease!, seen.rs!, seen.pods!, seen.bound!].map((v) => fmt(v / 1000, 1))]);
    // The killed server comes back on its data dir and port (it no longer needs the other to join).
    servers[leaderIndex] = await startCluster(['--datastore-endpoint', endpoint], { dataDir: dataDirs[leaderIndex], port: leader.port });
  }
  rows.push(['median', ...(['api', 'lease', 'rs', 'pods', 'bound'] as const).map((k) => fmt(median(columns[k]!) / 1000, 1))]);
  console.log(`failover after SIGKILL of the leading server (seconds from the kill; two servers on a 3-member etcd, ${ROUNDS} rounds)`);
  printTable(['', 'API', 'CM Lease', 'ReplicaSet', 'pods', 'bound'], rows);
} finally {
  for (const stop of stops) await stop().catch(() => {});
  for (const s of servers) await s?.stop().catch(() => {});
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  await etcd.stop();
}
