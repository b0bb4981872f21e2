/**
 * Simulated-node figures (issue 4), printed as a table: `node --import tsx bench/simulate.ts`.
 * Boots dist/tsk server --disable-agent and dist/tsk simulate --nodes BENCH_NODES (1,000), then
 * measures:
 *   registered   simulate's start → its "registered N nodes" line
 *   all Ready    simulate's start → the API lists N Ready simulated nodes
 *   RSS / CPU    of simulate and of the server, CPU over IDLE_S seconds of heartbeats only
 *   pods         BENCH_PODS (5,000) pods created already bound (spec.nodeName, round robin, no
 *                scheduler involved) by 32 writers → all Running: simulate's kubelet rate
 */
import fs from 'node:fs';
import type { KObject } from '../pkg/api/types.ts';
import { Client } from '../pkg/client/client.ts';
import { forEachLimited } from '../pkg/simulate/fleet.ts';
import { startCluster } from '../test/lib/cluster.ts';
import { startSimulate } from '../test/lib/simulate.ts';
import { rssBytes } from './lib/targets.ts';
import { fmt, printTable } from './lib/stats.ts';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 30);
const PODS = Number(process.env.BENCH_PODS ?? 5000);
const WRITERS = 32;

function boundPod(i: number): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, namespace: 'default', labels: { bench: 'simulate' } },
    spec: { nodeName: `sim-${i % NODES}`, containers: [{ name: 'app', image: 'busybox:1.36', resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
  };
}

/** Creates PODS bound pods and waits until the API lists them all Running; milliseconds from first create to created, to Running. */
async function podsRunning(client: Client): Promise<{ createdMs: number; runningMs: number }> {
  const started = Date.now();
  await forEachLimited(Array.from({ length: PODS }, (_, i) => i), WRITERS, async (i) => {
    await client.create('/api/v1/namespaces/default/pods', boundPod(i));
  });
  const createdMs = Date.now() - started;
  for (;;) {
    const list = await client.list('/api/v1/namespaces/default/pods', { labelSelector: 'bench=simulate', fieldSelector: 'status.phase=Running', resourceVersion: '0' });
    if (list.items.length >= PODS) return { createdMs, runningMs: Date.now() - started };
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const mib = (pid: number) => fmt(rssBytes(pid) / 1024 / 1024, 0);

async function main(): Promise<void> {
  const cluster = await startCluster();
  try {
    const readyNodes = async () => {
      const r = await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
      return r.stdout.split('\n').filter((l) => l.startsWith('sim-') && l.endsWith(' True')).length;
    };
    const started = Date.now();
    const sim = await startSimulate(cluster, { nodes: NODES, readyWithinMs: 600_000 });
    const registeredMs = Date.now() - started;
    while ((await readyNodes()) < NODES) await new Promise((r) => setTimeout(r, 200));
    const readyMs = Date.now() - started;
    const pid = sim.process.pid;
    const simCpu0 = cpuSeconds(pid);
    const serverCpu0 = cpuSeconds(cluster.server.pid);
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const simCpu = ((cpuSeconds(pid) - simCpu0) / IDLE_S) * 100;
    const serverCpu = ((cpuSeconds(cluster.server.pid) - serverCpu0) / IDLE_S) * 100;
    const stillReady = await readyNodes();
    const client = Client.fromKubeconfig(cluster.kubeconfig);
    const simCpuBeforePods = cpuSeconds(pid);
    const pods = PODS > 0 ? await podsRunning(client) : { createdMs: NaN, runningMs: NaN };
    const simCpuPods = cpuSeconds(pid) - simCpuBeforePods;
    client.close();
    printTable(['figure', 'value'], [
      ['nodes', String(NODES)],
      ['registered (s)', fmt(registeredMs / 1000, 2)],
      ['all Ready in the API (s)', fmt(readyMs / 1000, 2)],
      [`Ready after ${IDLE_S} s of heartbeats`, String(stillReady)],
      ['simulate RSS (MiB)', mib(pid)],
      ['simulate CPU idle (% of a core)', fmt(simCpu)],
      ['server RSS (MiB)', mib(cluster.server.pid)],
      ['server CPU idle (% of a core)', fmt(serverCpu)],
      [`${PODS} bound pods created (s)`, fmt(pods.createdMs / 1000, 2)],
      ['  all Running (s)', fmt(pods.runningMs / 1000, 2)],
      ['  rate (pods/s)', fmt(PODS / (pods.runningMs / 1000), 0)],
      ['  simulate CPU meanwhile (s)', fmt(simCpuPods, 1)],
      ['simulate RSS with the pods (MiB)', mib(pid)],
    ]);
    await sim.stop();
  } finally {
    await cluster.stop();
  }
}

await main();
