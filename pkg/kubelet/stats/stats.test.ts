/**
 * /metrics/resource's content: the node's figures from host files (cgroup v1, v2, /proc), the
 * containers' from a fake CRI runtime, and the Prometheus text a 1.33 kubelet writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, ContainerStats } from '../../cri/types.ts';
import { readNodeUsage } from './node.ts';
import { formatGoFloat, formatResourceMetrics } from './prometheus.ts';
import { collectResourceMetrics, type ResourceMetrics, type StatsRuntime } from './resource.ts';

const MEMINFO = 'MemTotal:       24683568 kB\nMemFree:        1000 kB\nMemAvailable:   24291372 kB\n';

describe('node usage', () => {
  it('reads cgroup v1 cpuacct and /proc/meminfo', () => {
    const files: Record<string, string> = { '/sys/fs/cgroup/cpuacct/cpuacct.usage': '599766132477\n', '/proc/meminfo': MEMINFO };
    assert.deepEqual(readNodeUsage((p) => files[p]), { cpuSeconds: 599.766132477, memoryWorkingSetBytes: (24683568 - 24291372) * 1024 });
  });

  it('reads cgroup v2 cpu.stat', () => {
    const files: Record<string, string> = { '/sys/fs/cgroup/cpu.stat': 'usage_usec 1500000\nuser_usec 1000000\n', '/proc/meminfo': MEMINFO };
    assert.equal(readNodeUsage((p) => files[p]).cpuSeconds, 1.5);
  });

  it('falls back to the busy ticks of /proc/stat', () => {
    const files: Record<string, string> = { '/proc/stat': 'cpu  36821 5 15871 3982884 560 1 236 239 0 0\ncpu0 1 2 3\n' };
    const usage = readNodeUsage((p) => files[p]);
    assert.equal(usage.cpuSeconds, (36821 + 5 + 15871 + 1 + 236 + 239) / 100);
    assert.equal(usage.memoryWorkingSetBytes, undefined);
  });
});

describe('Go float formatting', () => {
  it('writes numbers as strconv.FormatFloat(v, g, -1, 64)', () => {
    assert.equal(formatGoFloat(0), '0');
    assert.equal(formatGoFloat(352256), '352256');
    assert.equal(formatGoFloat(1000000), '1e+06');
    assert.equal(formatGoFloat(73527296), '7.3527296e+07');
    assert.equal(formatGoFloat(1690711238), '1.690711238e+09');
    assert.equal(formatGoFloat(13638.443124082), '13638.443124082');
    assert.equal(formatGoFloat(0.0001), '0.0001');
    assert.equal(formatGoFloat(0.00001), '1e-05');
  });
});

const running = (id: string, pod: string, name: string, createdAt: number): Container => ({
  id,
  podSandboxId: `sb-${pod}`,
  metadata: { name, attempt: 0 },
  image: null,
  imageRef: '',
  state: 'CONTAINER_RUNNING',
  createdAt,
  labels: { 'io.kubernetes.pod.name': pod, 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.container.name': name },
  annotations: {},
  imageId: '',
});

const stats = (id: string, cpuNs: number | undefined, memory: number | undefined, timestampNs: number): ContainerStats => ({
  attributes: { id, metadata: null, labels: {}, annotations: {} },
  cpu: { timestamp: timestampNs, usageCoreNanoSeconds: cpuNs === undefined ? null : { value: cpuNs }, usageNanoCores: null },
  memory: { timestamp: timestampNs, workingSetBytes: memory === undefined ? null : { value: memory }, availableBytes: null, usageBytes: null, rssBytes: null, pageFaults: null, majorPageFaults: null },
  writableLayer: null,
});

describe('collecting from the runtime', () => {
  const node = () => ({ cpuSeconds: 100, memoryWorkingSetBytes: 2048 });

  it('joins running containers with their stats and sums pods', async () => {
    const runtime: StatsRuntime = {
      listContainers: async (req) => {
        assert.deepEqual(req?.filter, { state: { state: 'CONTAINER_RUNNING' } });
        return { containers: [running('a', 'web', 'app', 1_700_000_000_000_000_000), running('b', 'web', 'sidecar', 1_700_000_001_000_000_000), running('c', 'db', 'db', 1_700_000_002_000_000_000)] };
      },
      // The runtime may know stats of containers that stopped meanwhile, and lack some figures.
      listContainerStats: async () => ({ stats: [stats('a', 2_000_000_000, 4096, 1_700_000_100_000_000_000), stats('b', 500_000_000, 1024, 1_700_000_100_500_000_000), stats('c', undefined, 10, 1), stats('gone', 1, 1, 1)] }),
    };
    const m = await collectResourceMetrics(runtime, { now: () => 1_700_000_100_900, node });
    assert.equal(m.scrapeError, false);
    assert.deepEqual(m.containers.map((c) => [c.pod, c.container, c.cpuSeconds, c.memoryWorkingSetBytes, c.timestampMs, c.startTimeSeconds]), [
      ['web', 'app', 2, 4096, 1_700_000_100_000, 1_700_000_000],
      ['web', 'sidecar', 0.5, 1024, 1_700_000_100_500, 1_700_000_001],
    ]);
    assert.deepEqual(m.pods, [{ namespace: 'default', pod: 'web', cpuSeconds: 2.5, memoryWorkingSetBytes: 5120, timestampMs: 1_700_000_100_500 }]);
  });

  it('reports a scrape error, and still the node, when the runtime does not answer', async () => {
    const runtime: StatsRuntime = {
      listContainers: async () => {
        throw new Error('connection refused');
      },
      listContainerStats: async () => ({ stats: [] }),
    };
    const m = await collectResourceMetrics(runtime, { now: () => 5, node });
    assert.deepEqual(m, { timestampMs: 5, node: node(), containers: [], pods: [], scrapeError: true });
  });
});

describe('the Prometheus text', () => {
  it('is the kubelet 1.33 /metrics/resource format, samples in label order', () => {
    const m: ResourceMetrics = {
      timestampMs: 1691361886865,
      node: { cpuSeconds: 12345.678, memoryWorkingSetBytes: 1.5740928e9 },
      containers: [
        { namespace: 'kube-system', pod: 'coredns-1', container: 'coredns', cpuSeconds: 0.195744, memoryWorkingSetBytes: 15740928, timestampMs: 1691361886860, startTimeSeconds: 1691361744.5 },
        { namespace: 'default', pod: 'we"ird\\', container: 'main', cpuSeconds: 2, memoryWorkingSetBytes: 352256, timestampMs: 1691361886861, startTimeSeconds: 1691361000 },
      ],
      pods: [{ namespace: 'kube-system', pod: 'coredns-1', cpuSeconds: 0.195744, memoryWorkingSetBytes: 15740928, timestampMs: 1691361886860 }],
      scrapeError: false,
    };
    assert.equal(formatResourceMetrics(m), [
      '# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the container in core-seconds',
      '# TYPE container_cpu_usage_seconds_total counter',
      'container_cpu_usage_seconds_total{container="coredns",namespace="kube-system",pod="coredns-1"} 0.195744 1691361886860',
      'container_cpu_usage_seconds_total{container="main",namespace="default",pod="we\\"ird\\\\"} 2 1691361886861',
      '# HELP container_memory_working_set_bytes [STABLE] Current working set of the container in bytes',
      '# TYPE container_memory_working_set_bytes gauge',
      'container_memory_working_set_bytes{container="coredns",namespace="kube-system",pod="coredns-1"} 1.5740928e+07 1691361886860',
      'container_memory_working_set_bytes{container="main",namespace="default",pod="we\\"ird\\\\"} 352256 1691361886861',
      '# HELP container_start_time_seconds [STABLE] Start time of the container since unix epoch in seconds',
      '# TYPE container_start_time_seconds gauge',
      'container_start_time_seconds{container="coredns",namespace="kube-system",pod="coredns-1"} 1.6913617445e+09 1691361886860',
      'container_start_time_seconds{container="main",namespace="default",pod="we\\"ird\\\\"} 1.691361e+09 1691361886861',
      '# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the node in core-seconds',
      '# TYPE node_cpu_usage_seconds_total counter',
      'node_cpu_usage_seconds_total 12345.678 1691361886865',
      '# HELP node_memory_working_set_bytes [STABLE] Current working set of the node in bytes',
      '# TYPE node_memory_working_set_bytes gauge',
      'node_memory_working_set_bytes 1.5740928e+09 1691361886865',
      '# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time consumed by the pod in core-seconds',
      '# TYPE pod_cpu_usage_seconds_total counter',
      'pod_cpu_usage_seconds_total{namespace="kube-system",pod="coredns-1"} 0.195744 1691361886860',
      '# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes',
      '# TYPE pod_memory_working_set_bytes gauge',
      'pod_memory_working_set_bytes{namespace="kube-system",pod="coredns-1"} 1.5740928e+07 1691361886860',
      '# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise',
      '# TYPE resource_scrape_error gauge',
      'resource_scrape_error 0',
      '',
    ].join('\n'));
  });

  it('leaves out families without samples', () => {
    const text = formatResourceMetrics({ timestampMs: 1, node: {}, containers: [], pods: [], scrapeError: true });
    assert.equal(text, '# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE resource_scrape_error gauge\nresource_scrape_error 1\n');
  });
});
