/**
 * What the kubelet's /metrics/resource reports, gathered at one moment: the node's figures
 * (node.ts) and, for every running container of a pod, the runtime's own counters from CRI
 * ListContainerStats (containerd 1.6 fills cpu.usageCoreNanoSeconds and memory.workingSetBytes
 * from the container's cgroup, v1 or v2), each with the runtime's timestamp. Pod figures are
 * the sums of their containers': tsk gives pods no cgroup of their own to read them from.
 */
import type { CriClient } from '../../cri/client.ts';
import type { Container, ContainerStats } from '../../cri/types.ts';
import { logger } from '../../log/log.ts';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL } from '../pods/labels.ts';
import { readNodeUsage, type NodeUsage } from './node.ts';

const log = logger('kubelet-stats');

export interface ContainerSample {
  namespace: string;
  pod: string;
  container: string;
  cpuSeconds: number;
  memoryWorkingSetBytes: number;
  /** When the runtime read the counters, in ms since the epoch. */
  timestampMs: number;
  /** When the container was created, in seconds since the epoch (the kubelet's StartTime). */
  startTimeSeconds: number;
}

export interface PodSample {
  namespace: string;
  pod: string;
  cpuSeconds: number;
  memoryWorkingSetBytes: number;
  timestampMs: number;
}

export interface ResourceMetrics {
  /** When the node was read, in ms since the epoch. */
  timestampMs: number;
  node: Partial<NodeUsage>;
  containers: ContainerSample[];
  pods: PodSample[];
  /** The runtime could not be asked: container and pod figures are missing, not zero. */
  scrapeError: boolean;
}

export type StatsRuntime = Pick<CriClient, 'listContainers' | 'listContainerStats'>;

export interface CollectOptions {
  now?: () => number;
  node?: () => Partial<NodeUsage>;
}

/** CRI timestamps are nanoseconds since the epoch. */
const nsToMs = (ns: number) => Math.floor(ns / 1e6);

function sample(container: Container, stats: ContainerStats, fallbackMs: number): ContainerSample | undefined {
  const { labels } = container;
  const namespace = labels[POD_NAMESPACE_LABEL];
  const pod = labels[POD_NAME_LABEL];
  const name = labels[CONTAINER_NAME_LABEL] ?? container.metadata?.name;
  const cpu = stats.cpu?.usageCoreNanoSeconds?.value;
  const memory = stats.memory?.workingSetBytes?.value;
  // The kubelet leaves out what the runtime did not measure rather than report a zero.
  if (!namespace || !pod || !name || cpu === undefined || memory === undefined) return undefined;
  const timestamp = stats.cpu?.timestamp || stats.memory?.timestamp;
  return {
    namespace,
    pod,
    container: name,
    cpuSeconds: cpu / 1e9,
    memoryWorkingSetBytes: memory,
    timestampMs: timestamp ? nsToMs(timestamp) : fallbackMs,
    startTimeSeconds: container.createdAt / 1e9,
  };
}

function podSums(containers: ContainerSample[]): PodSample[] {
  const pods = new Map<string, PodSample>();
  for (const c of containers) {
    const key = `${c.namespace}/${c.pod}`;
    const p = pods.get(key) ?? { namespace: c.namespace, pod: c.pod, cpuSeconds: 0, memoryWorkingSetBytes: 0, timestampMs: 0 };
    p.cpuSeconds += c.cpuSeconds;
    p.memoryWorkingSetBytes += c.memoryWorkingSetBytes;
    p.timestampMs = Math.max(p.timestampMs, c.timestampMs);
    pods.set(key, p);
  }
  return [...pods.values()];
}

export async function collectResourceMetrics(runtime: StatsRuntime, options: CollectOptions = {}): Promise<ResourceMetrics> {
  const now = options.now ?? Date.now;
  const timestampMs = now();
  const node = (options.node ?? readNodeUsage)();
  try {
    const [{ containers }, { stats }] = await Promise.all([
      runtime.listContainers({ filter: { state: { state: 'CONTAINER_RUNNING' } } }),
      runtime.listContainerStats({}),
    ]);
    const byId = new Map(stats.filter((s) => s.attributes).map((s) => [s.attributes!.id, s]));
    const samples: ContainerSample[] = [];
    for (const c of containers) {
      const s = byId.get(c.id);
      const found = s && sample(c, s, timestampMs);
      if (found) samples.push(found);
    }
    return { timestampMs, node, containers: samples, pods: podSums(samples), scrapeError: false };
  } catch (err) {
    log.warn(`resource metrics without containers: ${(err as Error).message}`);
    return { timestampMs, node, containers: [], pods: [], scrapeError: true };
  }
}
