/**
 * Simulated-node figures (issue 4), printed as a table: `node --import tsx bench/simulate.ts`.
 * Boots dist/tsk server --disable-agent and dist/tsk simulate --nodes BENCH_NODES (1,000), then
 * measures:
 *   registered   simulate's start → its "registered N nodes" line
 *   all Ready    simulate's start → the API lists N Ready simulated nodes
 *   RSS / CPU    of simulate and of the server, CPU over IDLE_S seconds of heartbeats only
 */
import fs from 'node:fs';
import { startCluster } from '../test/lib/cluster.ts';
import { startSimulate } from '../test/lib/simulate.ts';
import { rssBytes } from './lib/targets.ts';
import { fmt, printTable } from './lib/stats.ts';

const NODES = Number(process.env.BENCH_NODES ?? 1000);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 30);

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
    printTable(['figure', 'value'], [
      ['nodes', String(NODES)],
      ['registered (s)', fmt(registeredMs / 1000, 2)],
      ['all Ready in the API (s)', fmt(readyMs / 1000, 2)],
      [`Ready after ${IDLE_S} s of heartbeats`, String(stillReady)],
      ['simulate RSS (MiB)', mib(pid)],
      ['simulate CPU idle (% of a core)', fmt(simCpu)],
      ['server RSS (MiB)', mib(cluster.server.pid)],
      ['server CPU idle (% of a core)', fmt(serverCpu)],
    ]);
    await sim.stop();
  } finally {
    await cluster.stop();
  }
}

await main();
