/**
 * Agent figures (issue 5), printed as a table: `node --import tsx bench/agent.ts [--markdown]`.
 * Boots `dist/tsk server --disable-agent` and a separate `dist/tsk agent join` on this machine
 * (its own managed containerd, a busybox image in its air-gap folder, the pod network written by
 * the agent), then:
 *   one at a time  BENCH_PODS (20) pods created one after the other, each waited for:
 *                  create request sent → Ready=True seen on a watch; p50 / p99 / max
 *   burst          BENCH_BURST (10) pods created at once; the same latency, per pod
 *   RSS            the agent process, its containerd and all the pods' shims, with the burst's
 *                  pods running, after BENCH_SETTLE_S (10) seconds
 * Real containers (runc), real CNI: needs what .ci/run installs. Root only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KObject } from '../pkg/api/types.ts';
import { Client } from '../pkg/client/client.ts';
import { DEFAULT_BRIDGE_NAME } from '../pkg/network/cni.ts';
import { BUSYBOX_IMAGE, cleanUpHost, cleanUpHostNetwork, runtimeProcessesOf, takeHostAgentTurn } from '../test/lib/agent.ts';
import { freePort, startCluster } from '../test/lib/cluster.ts';
import { buildBusyboxImage } from '../test/lib/images.ts';
import { startTsk } from '../test/lib/tsk.ts';
import { fmt, percentile, printTable } from './lib/stats.ts';
import { rssBytes } from './lib/targets.ts';

const PODS = Number(process.env.BENCH_PODS ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 10);
const SETTLE_S = Number(process.env.BENCH_SETTLE_S ?? 10);
const NODE = 'bench-agent';
const PODS_PATH = '/api/v1/namespaces/default/pods';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => fmt(bytes / 1024 / 1024, 0);

function pod(name: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
    },
  } as KObject;
}

const isReady = (p: KObject) => ((p.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === 'Ready' && c.status === 'True');

/** Ready times by pod name, from one watch of the namespace's pods. */
function watchReady(client: Client): { readyAt: Map<string, number>; stop(): void } {
  const readyAt = new Map<string, number>();
  const stream = client.watch(PODS_PATH, {});
  void (async () => {
    for await (const event of stream) {
      const p = event.object as KObject;
      if (!readyAt.has(p.metadata.name!) && isReady(p)) readyAt.set(p.metadata.name!, Date.now());
    }
  })().catch(() => {});
  return { readyAt, stop: () => stream.stop() };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function latencies(client: Client, readyAt: Map<string, number>, names: string[], oneAtATime: boolean): Promise<number[]> {
  const sent = new Map<string, number>();
  const create = async (name: string) => {
    sent.set(name, Date.now());
    await client.create(PODS_PATH, pod(name));
  };
  if (oneAtATime) {
    for (const name of names) {
      await create(name);
      await waitFor(`${name} Ready`, () => readyAt.has(name));
    }
  } else {
    await Promise.all(names.map(create));
    await waitFor(`${names.length} pods Ready`, () => names.every((n) => readyAt.has(n)));
  }
  return names.map((n) => readyAt.get(n)! - sent.get(n)!);
}

async function deleteAll(client: Client, names: string[]): Promise<void> {
  await Promise.all(names.map((n) => client.delete(`${PODS_PATH}/${n}`, {})));
  await waitFor('pods gone', async () => (await client.list(PODS_PATH)).items.length === 0);
}

async function main(): Promise<void> {
  if (os.userInfo().uid !== 0) throw new Error('bench/agent.ts runs containers: run it as root');
  const releaseTurn = await takeHostAgentTurn();
  const cluster = await startCluster([]);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-bench-agent-'));
  buildBusyboxImage({ name: BUSYBOX_IMAGE, dir: path.join(dataDir, 'agent', 'images') });
  const token = fs.readFileSync(path.join(cluster.dataDir, 'server', 'node-token'), 'utf8').trim();
  const agent = startTsk(['agent', 'join', '--server', cluster.url, '--token', token, '--data-dir', dataDir,
    '--node-name', NODE, '--node-ip', '127.0.0.1', '--kubelet-port', String(await freePort())]);
  const client = Client.fromKubeconfig(cluster.kubeconfig, { userAgent: 'bench' });
  const watch = watchReady(client);
  try {
    await waitFor('the node to be Ready', async () => {
      const node = await client.get(`/api/v1/nodes/${NODE}`).catch(() => undefined);
      return !!node && ((node.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === 'Ready' && c.status === 'True');
    });
    // One pod first, not counted: the first sandbox creates the bridge and warms containerd.
    await latencies(client, watch.readyAt, ['warm-up'], true);
    await deleteAll(client, ['warm-up']);

    const serial = await latencies(client, watch.readyAt, Array.from({ length: PODS }, (_, i) => `serial-${i}`), true);
    await deleteAll(client, Array.from({ length: PODS }, (_, i) => `serial-${i}`));
    const burst = await latencies(client, watch.readyAt, Array.from({ length: BURST }, (_, i) => `burst-${i}`), false);
    await sleep(SETTLE_S * 1000);
    const { containerd, shims } = runtimeProcessesOf(dataDir);
    const sum = (pids: number[]) => pids.reduce((s, p) => s + rssBytes(p), 0);

    const row = (label: string, sample: number[]) => [label, String(sample.length), fmt(Math.min(...sample), 0), fmt(percentile(sample, 50), 0), fmt(percentile(sample, 99), 0), fmt(Math.max(...sample), 0)];
    printTable(['pod create → Ready (ms)', 'pods', 'min', 'p50', 'p99', 'max'], [
      row('one at a time', serial),
      row(`burst of ${BURST}`, burst),
    ]);
    console.log('');
    printTable([`RSS with ${BURST} pods running (MiB)`, 'value'], [
      ['tsk agent (kubelet, image folder, pod network)', mib(rssBytes(agent.pid))],
      ['its containerd', mib(sum(containerd))],
      [`containerd shims (${shims.length})`, mib(sum(shims))],
    ]);
  } finally {
    watch.stop();
    client.close();
    agent.signal('SIGTERM');
    await agent.exited;
    await cluster.stop();
    cleanUpHost(dataDir, DEFAULT_BRIDGE_NAME);
    await cleanUpHostNetwork();
    await releaseTurn();
  }
}

main().catch((err: unknown) => {
  console.error(`bench/agent: ${(err as Error).stack ?? err}`);
  process.exitCode = 1;
});
