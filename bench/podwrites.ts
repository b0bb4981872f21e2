/**
 * The API server's CPU for one pod's writes, without the components that normally send them:
 * `node --import tsx bench/podwrites.ts`. Boots dist/tsk server --disable-agent
 * --disable-scheduler --disable-controller-manager, opens BENCH_WATCHERS (3) pod watches (the
 * scheduler, the controller manager and simulate hold one each), then per pod, BENCH_INFLIGHT
 * (64) pods at a time: create (as the ReplicaSet controller), binding, a Scheduled event, and
 * a strategic-merge status patch to Running (as simulate). Prints server CPU per pod (all
 * threads, and the main thread alone) over BENCH_PODS (3,000) pods after a warm-up.
 *
 * CPU time on this shared machine varies with others' load by tens of percent: to compare two
 * builds, run two copies at once (TSK_TEST_BIN naming each build), so both see the same load.
 */
import type { KObject } from '../pkg/api/types.ts';
import { Client } from '../pkg/client/client.ts';
import { Informer } from '../pkg/client/informer.ts';
import { runningStatus } from '../pkg/simulate/podstatus.ts';
import { startCluster } from '../test/lib/cluster.ts';
import { fmt, printTable } from './lib/stats.ts';
import { cpuSeconds } from './lib/targets.ts';

const PODS = Number(process.env.BENCH_PODS ?? 3000);
const WARMUP = 300;
const IN_FLIGHT = Number(process.env.BENCH_INFLIGHT ?? 64);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 3);
const NS = '/api/v1/namespaces/default';
const OWNER = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'big-7d9f8c6b5', uid: '054039c0-517e-48f2-af25-d9406c09b44a', controller: true, blockOwnerDeletion: true };
const SPEC = { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '1m', memory: '1Mi' } } }] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function onePod(client: Client, i: number): Promise<void> {
  const node = `sim-${i % 100}`;
  const pod = await client.request<KObject>('POST', `${NS}/pods`, JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'big-7d9f8c6b5-', labels: { app: 'big', 'pod-template-hash': '7d9f8c6b5' }, ownerReferences: [OWNER] }, spec: SPEC,
  }));
  const name = pod.metadata.name!;
  await client.request('POST', `${NS}/pods/${name}/binding`, JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } }));
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  await client.request('POST', `${NS}/events`, JSON.stringify({
    apiVersion: 'v1', kind: 'Event', metadata: { name: `${name}.${i.toString(16)}`, namespace: 'default' },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'default', name, uid: pod.metadata.uid }, reason: 'Scheduled',
    message: `Successfully assigned default/${name} to ${node}`, type: 'Normal', source: { component: 'default-scheduler' },
    firstTimestamp: now, lastTimestamp: now, count: 1, reportingComponent: 'default-scheduler', reportingInstance: '',
  }));
  const bound = { ...pod, spec: { ...pod.spec, nodeName: node } } as KObject;
  const status = runningStatus(bound, { podIP: `10.42.${(i >> 8) & 255}.${i & 255}`, hostIP: '10.0.0.1' }, Date.now());
  await client.request('PATCH', `${NS}/pods/${name}/status`, JSON.stringify({ metadata: { uid: pod.metadata.uid }, status }), 'application/strategic-merge-patch+json');
}

async function main(): Promise<void> {
  const cluster = await startCluster(['--disable-scheduler', '--disable-controller-manager']);
  const client = Client.fromKubeconfig(cluster.kubeconfig, { userAgent: 'bench' });
  const watchers = Array.from({ length: WATCHERS }, () => new Informer(Client.fromKubeconfig(cluster.kubeconfig, { userAgent: 'bench-watch' }), { path: '/api/v1/pods' }));
  try {
    for (const w of watchers) w.start();
    for (let i = 0; i < WARMUP; i++) await onePod(client, i);
    const pid = cluster.server.pid;
    const cpu0 = cpuSeconds(pid);
    const main0 = cpuSeconds(pid, pid);
    const started = Date.now();
    let next = WARMUP;
    const end = WARMUP + PODS;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < end) await onePod(client, next++);
    }));
    const seconds = (Date.now() - started) / 1000;
    printTable(['figure', 'value'], [
      ['pods (create, binding, event, status patch each)', String(PODS)],
      ['server CPU per pod (ms, all threads)', fmt(((cpuSeconds(pid) - cpu0) * 1000) / PODS, 3)],
      ['  of which the main thread (ms)', fmt(((cpuSeconds(pid, pid) - main0) * 1000) / PODS, 3)],
      ['pods/s', fmt(PODS / seconds, 0)],
    ]);
  } finally {
    for (const w of watchers) w.stop();
    client.close();
    // A clean SIGTERM first, so a profiling launcher (TSK_TEST_BIN) gets to write its profile.
    cluster.server.signal('SIGTERM');
    await Promise.race([cluster.server.exited, sleep(10_000)]);
    await cluster.stop();
  }
}

await main();
