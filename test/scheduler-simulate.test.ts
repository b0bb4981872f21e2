/**
 * The scheduler with the whole control plane and `tsk simulate` nodes (4 CPUs each): a
 * Deployment's pods are spread over the nodes by default and run; a high-priority pod that
 * fits nowhere preempts a low-priority pod (deleted with its grace period, finished by the
 * simulated kubelet), runs in its place, and the evicted pod's replacement waits with
 * kube-scheduler's FailedScheduling message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { until } from './lib/until.ts';

const { cluster, ok } = clusterPerFile();
let sim: SimulateProcess | undefined;

interface PodRow {
  name: string;
  node: string;
  phase: string;
}

async function pods(selector: string): Promise<PodRow[]> {
  const out = await ok(['get', 'pods', '-l', selector, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.phase}{"\\n"}{end}']);
  return out.split('\n').filter(Boolean).map((l) => {
    const [name = '', node = '', phase = ''] = l.split(' ');
    return { name, node, phase };
  });
}

describe('scheduler with simulated nodes', () => {
  before(async () => {
    sim = await startSimulate(cluster(), { nodes: 3, namePrefix: 'sched-' });
  });
  after(async () => {
    await sim?.kill();
  });

  it('spreads the pods of a Deployment over the nodes, and they run', async () => {
    await ok(['create', 'deployment', 'web', '--image=busybox', '--replicas=6']);
    const running = await until('6 web pods Running', async () => {
      const rows = await pods('app=web');
      return rows.length === 6 && rows.every((r) => r.phase === 'Running') ? rows : undefined;
    });
    const perNode = new Map<string, number>();
    for (const r of running) perNode.set(r.node, (perNode.get(r.node) ?? 0) + 1);
    assert.deepEqual([...perNode.keys()].sort(), ['sched-0', 'sched-1', 'sched-2']);
    assert.deepEqual([...perNode.values()], [2, 2, 2]);
  });

  it('preempts a low-priority pod for a high-priority one that fits nowhere', async () => {
    await ok(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'filler' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'filler' } },
        template: { metadata: { labels: { app: 'filler' } }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '3' } } }] } },
      },
    }));
    const fillers = await until('3 fillers Running on 3 nodes', async () => {
      const rows = (await pods('app=filler')).filter((r) => r.phase === 'Running');
      return rows.length === 3 && new Set(rows.map((r) => r.node)).size === 3 ? rows : undefined;
    }, 90_000);
    await ok(['create', 'priorityclass', 'urgent', '--value', '100000']);
    await ok(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'urgent', labels: { app: 'urgent' } },
      spec: { priorityClassName: 'urgent', containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '3' } } }] },
    }));
    const urgent = await until('the urgent pod Running', async () => {
      const [row] = await pods('app=urgent');
      return row?.phase === 'Running' ? row : undefined;
    });
    const victim = fillers.find((f) => f.node === urgent.node)!;
    const preempted = await until(`the Preempted event of ${victim.name}`, async () => {
      const out = await ok(['get', 'events', '--field-selector', `involvedObject.name=${victim.name},reason=Preempted`, '-o', 'jsonpath={.items[*].message}']);
      return out.trim() || undefined;
    });
    assert.match(preempted, new RegExp(`^Preempted by pod [0-9a-f-]+ on node ${urgent.node}$`));
    // The ReplicaSet replaces the victim; nothing of lower priority is left to preempt for it.
    const message = await until('the replacement filler to be reported unschedulable', async () => {
      const pending = (await pods('app=filler')).find((r) => r.phase === 'Pending' && !r.node);
      if (!pending) return undefined;
      const out = await ok(['get', 'events', '--field-selector', `involvedObject.name=${pending.name},reason=FailedScheduling`, '-o', 'jsonpath={.items[*].message}']);
      return out.trim() || undefined;
    });
    assert.equal(message, '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..');
  });
});
