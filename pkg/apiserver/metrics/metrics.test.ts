/**
 * The metrics API's arithmetic without kubelets: reading /metrics/resource text, rates from two
 * scrapes as metrics-server computes them, the objects `kubectl top` reads, and when scrapes
 * are taken (a fake clock and a fake kubelet).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import type { ApiContext, Scope } from '../handlers/context.ts';
import { formatResourceMetrics } from '../../kubelet/stats/prometheus.ts';
import { metricsHandlers, nodeMetricsObject, podMetricsObject } from './api.ts';
import { decodeResourceMetrics, MetricsDecodeError, parseSeries, type NodeScrape } from './decode.ts';
import { ResourceMetricsSource } from './source.ts';
import { goDuration, nodeUsage, podUsage, resourceUsage, usageQuantities } from './usage.ts';

const T0 = 1_700_000_000_000;

/** A kubelet's answer at `ms`: the node and one pod with containers `app` (and `side`). */
function kubeletText(ms: number, node: { cpu: number; memory: number }, containers: Record<string, { cpu: number; memory: number; started: number }>): string {
  return formatResourceMetrics({
    timestampMs: ms,
    node: { cpuSeconds: node.cpu, memoryWorkingSetBytes: node.memory },
    containers: Object.entries(containers).map(([container, c]) => ({ namespace: 'default', pod: 'web', container, cpuSeconds: c.cpu, memoryWorkingSetBytes: c.memory, timestampMs: ms, startTimeSeconds: c.started / 1000 })),
    pods: [],
    scrapeError: false,
  });
}

describe('reading /metrics/resource', () => {
  it('parses samples with escaped labels and optional timestamps', () => {
    assert.deepEqual(parseSeries('container_cpu_usage_seconds_total{container="a b",namespace="x\\"y",pod="p\\\\q\\n"} 1.5e+02 1691361886861'), {
      name: 'container_cpu_usage_seconds_total',
      labels: { container: 'a b', namespace: 'x"y', pod: 'p\\q\n' },
      value: 150,
      timestampMs: 1691361886861,
    });
    assert.deepEqual(parseSeries('resource_scrape_error 0'), { name: 'resource_scrape_error', labels: {}, value: 0 });
    assert.throws(() => parseSeries('x{a="b} 1'), MetricsDecodeError);
    assert.throws(() => parseSeries('x one'), MetricsDecodeError);
  });

  it('reads what the kubelet writes', () => {
    const s = decodeResourceMetrics(kubeletText(T0, { cpu: 100, memory: 4096 }, { app: { cpu: 2, memory: 1024, started: T0 - 60_000 } }), 0);
    assert.deepEqual(s.node, { timestampMs: T0, cpuSeconds: 100, memoryBytes: 4096 });
    assert.deepEqual(s.pods.get('default/web')?.get('app'), { timestampMs: T0, cpuSeconds: 2, memoryBytes: 1024, startTimeMs: T0 - 60_000 });
  });

  it('drops what metrics-server drops: incomplete nodes, pods with an incomplete container', () => {
    const text = [
      'node_cpu_usage_seconds_total 5 1000',
      'container_cpu_usage_seconds_total{container="a",namespace="n",pod="ok"} 1',
      'container_memory_working_set_bytes{container="a",namespace="n",pod="ok"} 10',
      'container_cpu_usage_seconds_total{container="a",namespace="n",pod="half"} 1 1000',
      'container_memory_working_set_bytes{container="a",namespace="n",pod="half"} 10 1000',
      'container_cpu_usage_seconds_total{container="b",namespace="n",pod="half"} 0 1000',
      'container_memory_working_set_bytes{container="b",namespace="n",pod="half"} 10 1000',
    ].join('\n');
    const s = decodeResourceMetrics(text, 777);
    assert.equal(s.node, undefined, 'no memory figure');
    assert.deepEqual([...s.pods.keys()], ['n/ok']);
    assert.equal(s.pods.get('n/ok')?.get('a')?.timestampMs, 777, 'samples without a time take the scrape time');
  });
});

describe('usage from two scrapes', () => {
  it('is the CPU rate over the window and the later working set', () => {
    const u = resourceUsage({ timestampMs: T0 + 15_002, cpuSeconds: 13.5, memoryBytes: 3 * 1024 * 1024 }, { timestampMs: T0, cpuSeconds: 12, memoryBytes: 1 });
    assert.deepEqual(u, { cpuNanoCores: Math.floor((1.5e9 / 15.002)), memoryBytes: 3 * 1024 * 1024, timestampMs: T0 + 15_002, windowMs: 15_002 });
    assert.deepEqual(usageQuantities(u!), { cpu: '99986668n', memory: '3Mi' });
    assert.deepEqual(usageQuantities({ cpuNanoCores: 250_000_000, memoryBytes: 1000, timestampMs: 0, windowMs: 1 }), { cpu: '250m', memory: '1k' });
  });

  it('refuses decreasing CPU, a start time going back and an empty window', () => {
    assert.equal(resourceUsage({ timestampMs: 2, cpuSeconds: 1, memoryBytes: 1 }, { timestampMs: 1, cpuSeconds: 2, memoryBytes: 1 }), undefined);
    assert.equal(resourceUsage({ timestampMs: 2, cpuSeconds: 3, memoryBytes: 1, startTimeMs: 0 }, { timestampMs: 1, cpuSeconds: 2, memoryBytes: 1, startTimeMs: 1 }), undefined);
    assert.equal(resourceUsage({ timestampMs: 1, cpuSeconds: 3, memoryBytes: 1 }, { timestampMs: 1, cpuSeconds: 2, memoryBytes: 1 }), undefined);
  });

  it('leaves out a container restarted between the scrapes, and a pod with none left', () => {
    const started = T0 - 60_000;
    const prev = decodeResourceMetrics(kubeletText(T0, { cpu: 100, memory: 1 }, { app: { cpu: 5, memory: 10, started }, side: { cpu: 9, memory: 10, started } }), 0);
    const last = decodeResourceMetrics(kubeletText(T0 + 2_000, { cpu: 101, memory: 1 }, { app: { cpu: 6, memory: 20, started }, side: { cpu: 0.1, memory: 10, started: T0 + 1_000 } }), 0);
    const usage = podUsage({ prev, last }, 'default/web');
    assert.deepEqual(usage?.containers.map((c) => [c.name, c.usage.cpuNanoCores, c.usage.memoryBytes]), [['app', 500_000_000, 20]]);
    assert.deepEqual(nodeUsage({ prev, last })?.cpuNanoCores, 500_000_000);
    const restartedOnly = decodeResourceMetrics(kubeletText(T0 + 2_000, { cpu: 101, memory: 1 }, { app: { cpu: 0.1, memory: 20, started: T0 + 1_000 } }), 0);
    assert.equal(podUsage({ prev, last: restartedOnly }, 'default/web'), undefined);
    assert.equal(podUsage({ prev, last }, 'default/other'), undefined);
  });

  it('writes windows as Go durations', () => {
    assert.deepEqual([0, 850, 1000, 15_002, 60_500, 7_200_000].map(goDuration), ['0s', '850ms', '1s', '15.002s', '1m0.5s', '2h0m0s']);
  });

  it('makes the objects metrics-server serves', () => {
    const started = T0 - 60_000;
    const prev = decodeResourceMetrics(kubeletText(T0, { cpu: 100, memory: 2 * 1024 ** 3 }, { app: { cpu: 5, memory: 10 * 1024 * 1024, started } }), 0);
    const last = decodeResourceMetrics(kubeletText(T0 + 1_000, { cpu: 100.25, memory: 2 * 1024 ** 3 }, { app: { cpu: 5.001, memory: 12 * 1024 * 1024, started } }), 0);
    const node = { metadata: { name: 'n1', labels: { role: 'x' } } };
    assert.deepEqual(nodeMetricsObject(node, { prev, last }, T0 + 5_500), {
      kind: 'NodeMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'n1', creationTimestamp: '2023-11-14T22:13:25Z', labels: { role: 'x' } },
      timestamp: '2023-11-14T22:13:21Z',
      window: '1s',
      usage: { cpu: '250m', memory: '2Gi' },
    });
    const pod = { metadata: { name: 'web', namespace: 'default' } };
    const pm = podMetricsObject(pod, { prev, last }, T0);
    assert.deepEqual(pm?.metadata, { name: 'web', namespace: 'default', creationTimestamp: '2023-11-14T22:13:20Z' });
    assert.deepEqual(pm?.containers, [{ name: 'app', usage: { cpu: '1m', memory: '12Mi' } }]);
    assert.equal(podMetricsObject(pod, undefined, T0), undefined);
  });
});

describe('when scrapes are taken', () => {
  function fakeKubelet() {
    let now = T0;
    let cpu = 1;
    let pods: Record<string, { cpu: number; memory: number; started: number }> = {};
    const calls: number[] = [];
    let failing = false;
    const source = new ResourceMetricsSource({
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
      scrape: async (): Promise<NodeScrape> => {
        calls.push(now);
        if (failing) throw new Error('dial tcp: connection refused');
        cpu += 0.5;
        return decodeResourceMetrics(kubeletText(now, { cpu, memory: 1024 }, pods), now);
      },
    });
    return {
      source,
      calls,
      advance: (ms: number) => (now += ms),
      setPods: (p: typeof pods) => (pods = p),
      fail: (f: boolean) => (failing = f),
    };
  }

  it('takes two scrapes a second apart at first, then reuses them within the resolution', async () => {
    const k = fakeKubelet();
    const pair = await k.source.pair('n1');
    assert.deepEqual(k.calls, [T0, T0 + 1_000]);
    assert.equal(nodeUsage(pair!)?.windowMs, 1_000);
    k.advance(14_000);
    assert.equal(await k.source.pair('n1'), pair);
    assert.equal(k.calls.length, 2);
  });

  it('slides the pair on with one scrape after the resolution', async () => {
    const k = fakeKubelet();
    await k.source.pair('n1');
    k.advance(20_000);
    const pair = await k.source.pair('n1');
    assert.equal(k.calls.length, 3);
    assert.equal(nodeUsage(pair!)?.windowMs, 20_000);
  });

  it('takes a fresh pair when the earlier scrape is too old or misses new containers', async () => {
    const k = fakeKubelet();
    await k.source.pair('n1');
    k.advance(120_000);
    await k.source.pair('n1');
    assert.equal(k.calls.length, 4, 'two minutes is too long a window');
    k.setPods({ app: { cpu: 1, memory: 1, started: T0 } });
    k.advance(16_000);
    const pair = await k.source.pair('n1');
    assert.equal(k.calls.length, 6, 'a new container needs two scrapes of its own');
    assert.ok(podUsage(pair!, 'default/web'));
  });

  it('shares one scrape between concurrent requests', async () => {
    const k = fakeKubelet();
    const [a, b] = await Promise.all([k.source.pair('n1'), k.source.pair('n1')]);
    assert.equal(a, b);
    assert.equal(k.calls.length, 2);
  });

  it('does not ask a failing kubelet again within the resolution', async () => {
    const k = fakeKubelet();
    k.fail(true);
    assert.equal(await k.source.pair('n1'), undefined);
    k.advance(5_000);
    assert.equal(await k.source.pair('n1'), undefined);
    assert.equal(k.calls.length, 1);
    k.fail(false);
    k.advance(15_000);
    assert.ok(await k.source.pair('n1'));
    assert.equal(k.calls.length, 3);
  });
});

describe('which kubelets are asked', () => {
  it('the node\'s kubelet, but never a simulated node\'s made-up address', async () => {
    let connections = 0;
    const kubelet = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
    const port = (kubelet.address() as net.AddressInfo).port;
    const node = (name: string, runtime: string): KObject => ({
      metadata: { name },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } }, nodeInfo: { containerRuntimeVersion: runtime } },
    });
    const nodes = new Map([['real', node('real', 'containerd://1.6.20')], ['sim-0', node('sim-0', 'simulated://1.0.0')]]);
    const ctx = {
      table: { get: () => ({ group: '', version: 'v1', plural: 'nodes', namespaced: false, storagePath: 'minions' }) },
      cache: { get: (_path: string, key: string) => ({ obj: nodes.get(key.split('/').pop()!) }), list: () => [...nodes.values()].map((obj) => ({ obj })) },
      kubelet: { ca: '', cert: '', key: '' },
    } as unknown as ApiContext;
    const handler = metricsHandlers(ctx).get('metrics.k8s.io/v1beta1/nodes/')!;
    const get = (name: string) => handler.get({ info: { name } } as unknown as Scope);
    try {
      await assert.rejects(get('sim-0'), /nodemetrics\.metrics\.k8s\.io "sim-0" not found/);
      assert.equal(connections, 0);
      await assert.rejects(get('real'), /nodemetrics\.metrics\.k8s\.io "real" not found/);
      assert.equal(connections, 1);
      await assert.rejects(get('gone'), /node "gone" not found/);
    } finally {
      kubelet.close();
    }
  });
});
