/**
 * Control-plane figures (issue 4), printed as a table: `node --import tsx bench/controlplane.ts`.
 * Boots dist/tsk server --disable-agent with short node timeouts, BENCH_NODES simulated nodes
 * (1,000: BENCH_DOOMED of them in a second simulate process that is killed later), then:
 *   bind rate      one Deployment of BENCH_REPLICAS (10,000) tiny pods: create → every pod bound
 *                  (spec.nodeName set), pods/s end to end through the API
 *   running        create → every pod Running
 *   idle           server RSS and CPU while holding that cluster, BENCH_IDLE_S seconds
 *   node death     SIGKILL of the second simulate → its pods replaced and Running elsewhere
 *                  (floor: grace period + toleration seconds, printed beside)
 * Server CPU per pod (utime+stime of all its threads, and of the main thread alone) is the
 * figure to compare across runs on a shared machine; wall-clock rates vary with others' load.
 * Knobs: BENCH_NODES, BENCH_REPLICAS, BENCH_IDLE_S, BENCH_DOOMED (0 skips node death),
 * BENCH_SERVER_ARGS, BENCH_SERVER_LOG, BENCH_THREADS=1 (CPU seconds of each server thread).
 * Profiling: TSK_TEST_BIN=a launcher that runs the server from source under
 * `node --cpu-prof --import tsx cmd/tsk/main.ts` (the worker thread is profiled too).
 */
import fs from 'node:fs';
import type { KObject } from '../pkg/api/types.ts';
import { Client } from '../pkg/client/client.ts';
import { Informer } from '../pkg/client/informer.ts';
import { startCluster } from '../test/lib/cluster.ts';
import { startSimulate } from '../test/lib/simulate.ts';
import { fmt, printTable } from './lib/stats.ts';
import { cpuSeconds, rssBytes } from './lib/targets.ts';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const DOOMED = Number(process.env.BENCH_DOOMED ?? 10);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 10_000);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 20);
// Above the 10 s Lease renewal (kubelet's and simulate's), or healthy nodes flap to Unknown under load.
const GRACE_S = 20;
const TOLERATION_S = 5;

type Pod = KObject & { spec: { nodeName?: string }; status?: { phase?: string } };

const mib = (pid: number) => fmt(rssBytes(pid) / 1024 / 1024, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check`, printing `progress()` to stderr every 5 s so a slow run shows where it is. */
async function until(what: string, check: () => boolean, timeoutMs: number, progress: () => string = () => ''): Promise<number> {
  const started = Date.now();
  let said = started;
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}: ${progress()}`);
    if (Date.now() - said >= 5000) {
      said = Date.now();
      process.stderr.write(`${what}: ${progress()} after ${Math.round((said - started) / 1000)} s\n`);
    }
    await sleep(20);
  }
  return Date.now();
}

async function main(): Promise<void> {
  const cluster = await startCluster([
    // A /24 per node: 1,000 nodes need more than the default /16's 256 ranges.
    '--cluster-cidr', '10.64.0.0/10',
    '--node-monitor-grace-period', `${GRACE_S}s`,
    '--default-not-ready-toleration-seconds', String(TOLERATION_S),
    '--default-unreachable-toleration-seconds', String(TOLERATION_S),
    // BENCH_SERVER_ARGS: extra server flags for an investigation, e.g. "--debug".
    ...(process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean),
  ]);
  const client = Client.fromKubeconfig(cluster.kubeconfig, { userAgent: 'bench' });
  const pods = new Informer<Pod>(client, { path: '/api/v1/namespaces/default/pods' });
  try {
    const t0 = Date.now();
    const fleet = await startSimulate(cluster, { nodes: NODES - DOOMED, namePrefix: 'sim-', readyWithinMs: 600_000 });
    // BENCH_DOOMED=0 skips the node-death phase (a quicker run when profiling the burst).
    const doomed = DOOMED > 0 ? await startSimulate(cluster, { nodes: DOOMED, namePrefix: 'doomed-', readyWithinMs: 600_000 }) : undefined;
    const nodesMs = Date.now() - t0;
    process.stderr.write(`${NODES} nodes registered in ${nodesMs} ms\n`);
    pods.start();
    await pods.waitForSync();

    const created = Date.now();
    const pid = cluster.server.pid;
    const burstCpu0 = cpuSeconds(pid);
    const burstMain0 = cpuSeconds(pid, pid);
    await client.create('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'big' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'big' } },
        template: {
          metadata: { labels: { app: 'big' } },
          spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
        },
      },
    } as KObject);
    const count = (f: (p: Pod) => boolean) => pods.list().filter(f).length;
    const tally = () => `${pods.list().length} pods, ${count((p) => !!p.spec.nodeName)} bound, ${count((p) => p.status?.phase === 'Running')} running`;
    const bound = await until('every pod bound', () => count((p) => !!p.spec.nodeName) >= REPLICAS, 600_000, tally);
    const perPodMs = (seconds: number) => (seconds * 1000) / REPLICAS;
    const burstCpuMs = perPodMs(cpuSeconds(pid) - burstCpu0);
    const burstMainMs = perPodMs(cpuSeconds(pid, pid) - burstMain0);
    const running = await until('every pod Running', () => count((p) => p.status?.phase === 'Running') >= REPLICAS, 600_000, tally);
    const runningCpuMs = perPodMs(cpuSeconds(pid) - burstCpu0);
    if (process.env.BENCH_THREADS) for (const t of fs.readdirSync(`/proc/${pid}/task`)) process.stderr.write(`${fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim()} ${t} ${cpuSeconds(pid, Number(t))}\n`);

    await sleep(5000);
    const serverCpu0 = cpuSeconds(cluster.server.pid);
    await sleep(IDLE_S * 1000);
    const serverIdleCpu = ((cpuSeconds(cluster.server.pid) - serverCpu0) / IDLE_S) * 100;
    const serverRss = mib(cluster.server.pid);
    const simRss = mib(fleet.process.pid);

    const onDoomed = new Set(pods.list().filter((p) => p.spec.nodeName?.startsWith('doomed-')).map((p) => p.metadata.uid));
    const killed = Date.now();
    await doomed?.kill();
    // Pods of a dead node stay Terminating (no kubelet confirms), as in Kubernetes 1.33: what
    // counts is that the Deployment runs its full count again on the living nodes.
    const healthy = () => count((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && !!p.spec.nodeName?.startsWith('sim-')) >= REPLICAS;
    const recovered = doomed ? await until('pods of dead nodes running elsewhere', healthy, 600_000, tally) : killed;

    printTable(['figure', 'value'], [
      ['simulated nodes registered (s)', `${fmt(nodesMs / 1000, 1)} (${NODES} nodes)`],
      [`Deployment of ${REPLICAS}: every pod bound (s)`, fmt((bound - created) / 1000, 1)],
      ['bind rate end to end (pods/s)', fmt(REPLICAS / ((bound - created) / 1000), 0)],
      ['server CPU per pod until bound (ms, all threads)', fmt(burstCpuMs, 2)],
      ['  of which the main thread (ms)', fmt(burstMainMs, 2)],
      ['every pod Running (s)', fmt((running - created) / 1000, 1)],
      ['server CPU per pod until Running (ms, all threads)', fmt(runningCpuMs, 2)],
      ['server RSS holding the cluster (MiB)', serverRss],
      [`server CPU idle, ${IDLE_S} s (% of a core)`, fmt(serverIdleCpu)],
      ['simulate RSS (MiB)', simRss],
      ...(doomed ? [[`node death → ${onDoomed.size} pods running elsewhere (s)`, `${fmt((recovered - killed) / 1000, 1)} (floor ~${GRACE_S - 10 + TOLERATION_S + (DOOMED - 1) * 10}: grace less the last renewal's age, toleration, then one node per 10 s, Kubernetes' eviction rate)`]] : []),
    ]);
    await fleet.stop();
  } finally {
    pods.stop();
    client.close();
    // A clean SIGTERM first, so a profiling launcher (TSK_TEST_BIN) gets to write its profile.
    cluster.server.signal('SIGTERM');
    await Promise.race([cluster.server.exited, sleep(10_000)]);
    if (process.env.BENCH_SERVER_LOG) fs.writeFileSync(process.env.BENCH_SERVER_LOG, cluster.server.stderr());
    await cluster.stop();
  }
}

await main();
