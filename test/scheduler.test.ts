/**
 * The scheduler through the real binary and kubectl: Node objects made with kubectl (created,
 * then Ready with allocatable through the status subresource), pods placed by resources,
 * nodeSelector, node affinity, taints, anti-affinity and spreading; a pod that fits nowhere
 * gets kube-scheduler's FailedScheduling event and PodScheduled condition and is placed once a
 * node that fits appears; a cordoned node gets no new pods; a high-priority pod preempts a
 * low-priority one. The controller manager is off so that no lifecycle controller marks these
 * heartbeat-less nodes Unknown under the test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { until } from './lib/until.ts';

const { ok } = clusterPerFile(['--disable-controller-manager']);

interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
}

async function addNode(name: string, spec: NodeSpec = {}): Promise<void> {
  const labels = { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...spec.labels };
  await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: { taints: spec.taints } }));
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const resources = { cpu: spec.cpu ?? '4', memory: spec.memory ?? '8Gi', pods: spec.pods ?? '110' };
  const status = {
    capacity: resources,
    allocatable: resources,
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
  };
  await ok(['patch', 'node', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

interface PodOptions {
  namespace?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  spec?: Record<string, unknown>;
}

function podManifest(name: string, opts: PodOptions = {}) {
  const requests: Record<string, string> = {};
  if (opts.cpu) requests.cpu = opts.cpu;
  if (opts.memory) requests.memory = opts.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.namespace ?? 'default', labels: opts.labels },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests } }], ...opts.spec },
  };
}

async function createPod(name: string, opts: PodOptions = {}): Promise<void> {
  await ok(['create', '-f', '-'], JSON.stringify(podManifest(name, opts)));
}

/** Pods per node once all `count` pods matching `selector` are bound. */
async function placements(namespace: string, selector: string, count: number): Promise<number[]> {
  const nodes = await until(`${count} pods ${selector} bound`, async () => {
    const out = await ok(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}']);
    const bound = out.split('\n').filter(Boolean);
    return bound.length === count ? bound : undefined;
  });
  const perNode = new Map<string, number>();
  for (const n of nodes) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  return [...perNode.values()];
}

async function nodeOf(pod: string, namespace = 'default'): Promise<string> {
  return until(`pod ${pod} to be bound`, async () => {
    const node = (await ok(['get', 'pod', pod, '-n', namespace, '-o', 'jsonpath={.spec.nodeName}'])).trim();
    return node || undefined;
  });
}

async function failedSchedulingMessage(pod: string, namespace = 'default'): Promise<string> {
  return until(`a FailedScheduling event for ${pod}`, async () => {
    const out = await ok(['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${pod},reason=FailedScheduling`, '-o', 'jsonpath={.items[*].message}']);
    return out.trim() || undefined;
  });
}

describe('scheduler', () => {
  it('places pods on nodes that have room for their requests', async () => {
    await addNode('small', { cpu: '1', memory: '1Gi' });
    await addNode('big', { cpu: '8', memory: '16Gi' });
    await createPod('needs-cpu', { cpu: '2', memory: '100Mi' });
    assert.equal(await nodeOf('needs-cpu'), 'big');
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=needs-cpu,reason=Scheduled', '-o', 'jsonpath={.items[*].message}']);
    assert.equal(events.trim(), 'Successfully assigned default/needs-cpu to big');
    assert.equal((await ok(['get', 'pod', 'needs-cpu', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].status}'])).trim(), 'True');
  });

  it('honours nodeSelector and required node affinity', async () => {
    await addNode('ssd-node', { labels: { disk: 'ssd', rack: '7' } });
    await createPod('wants-ssd', { spec: { nodeSelector: { disk: 'ssd' } } });
    assert.equal(await nodeOf('wants-ssd'), 'ssd-node');
    await createPod('wants-high-rack', {
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'rack', operator: 'Gt', values: ['5'] }] }] } } } },
    });
    assert.equal(await nodeOf('wants-high-rack'), 'ssd-node');
  });

  it('reports a pod that fits nowhere, then places it when a node that fits appears', async () => {
    await createPod('huge', { cpu: '30' });
    const message = await failedSchedulingMessage('huge');
    const nodes = Number(/^0\/(\d+) nodes are available/.exec(message)?.[1]);
    assert.ok(nodes >= 3, message);
    assert.equal(message, `0/${nodes} nodes are available: ${nodes} Insufficient cpu. preemption: 0/${nodes} nodes are available: ${nodes} Preemption is not helpful for scheduling..`);
    const condition = JSON.parse(await ok(['get', 'pod', 'huge', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")]}']));
    assert.equal(condition.status, 'False');
    assert.equal(condition.reason, 'Unschedulable');
    assert.equal(condition.message, message);
    const described = await ok(['describe', 'pod', 'huge']);
    assert.match(described, /FailedScheduling .*0\/\d+ nodes are available: \d+ Insufficient cpu/);
    await addNode('giant', { cpu: '64', memory: '64Gi' });
    assert.equal(await nodeOf('huge'), 'giant');
  });

  it('keeps pods off nodes whose taints they do not tolerate, and off cordoned nodes', async () => {
    await ok(['create', 'namespace', 'taints']);
    await addNode('tainted', { labels: { pool: 'special' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    await createPod('intolerant', { namespace: 'taints', spec: { nodeSelector: { pool: 'special' } } });
    const message = await failedSchedulingMessage('intolerant', 'taints');
    assert.match(message, /\d+ node\(s\) had untolerated taint \{dedicated: gpu\}/);
    assert.match(message, /\d+ node\(s\) didn't match Pod's node affinity\/selector/);
    await createPod('tolerant', { namespace: 'taints', spec: { nodeSelector: { pool: 'special' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] } });
    assert.equal(await nodeOf('tolerant', 'taints'), 'tainted');

    await addNode('cordoned', { labels: { pool: 'cordon' } });
    await ok(['cordon', 'cordoned']);
    await createPod('on-cordoned', { namespace: 'taints', spec: { nodeSelector: { pool: 'cordon' } } });
    assert.match(await failedSchedulingMessage('on-cordoned', 'taints'), /1 node\(s\) were unschedulable/);
    await ok(['uncordon', 'cordoned']);
    assert.equal(await nodeOf('on-cordoned', 'taints'), 'cordoned');
  });

  it('keeps pods with required anti-affinity apart, and says so when no node is left', async () => {
    await ok(['create', 'namespace', 'anti']);
    await addNode('anti-a', { labels: { pool: 'anti' } });
    await addNode('anti-b', { labels: { pool: 'anti' } });
    const spec = {
      nodeSelector: { pool: 'anti' },
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'lonely' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    };
    await createPod('lonely-1', { namespace: 'anti', labels: { app: 'lonely' }, spec });
    await createPod('lonely-2', { namespace: 'anti', labels: { app: 'lonely' }, spec });
    const placed = [await nodeOf('lonely-1', 'anti'), await nodeOf('lonely-2', 'anti')].sort();
    assert.deepEqual(placed, ['anti-a', 'anti-b']);
    await createPod('lonely-3', { namespace: 'anti', labels: { app: 'lonely' }, spec });
    const message = await failedSchedulingMessage('lonely-3', 'anti');
    // The other nodes fail earlier filters (the tainted one on its taint, the rest on the selector).
    const n = Number(/^0\/(\d+)/.exec(message)?.[1]);
    assert.equal(message, `0/${n} nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match pod anti-affinity rules, ${n - 3} node(s) didn't match Pod's node affinity/selector. preemption: 0/${n} nodes are available: 2 No preemption victims found for incoming pod, ${n - 2} Preemption is not helpful for scheduling..`);
  });

  it('spreads pods by topology spread constraints and, by default, pods of one controller', async () => {
    await ok(['create', 'namespace', 'spread']);
    for (const name of ['spread-a', 'spread-b', 'spread-c']) await addNode(name, { labels: { pool: 'spread' } });
    const constraint = { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'even' } } };
    const even = Array.from({ length: 6 }, (_, i) => podManifest(`even-${i}`, { namespace: 'spread', labels: { app: 'even' }, spec: { nodeSelector: { pool: 'spread' }, topologySpreadConstraints: [constraint] } }));
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: even }));
    assert.deepEqual(await placements('spread', 'app=even', 6), [2, 2, 2]);

    // No constraints, one controlling owner: kube-scheduler's default spreading of a workload.
    for (const name of ['owned-a', 'owned-b', 'owned-c']) await addNode(name, { labels: { pool: 'owned' } });
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: '6b8a7c51-0000-4000-8000-000000000001', controller: true };
    const owned = Array.from({ length: 6 }, (_, i) => {
      const pod = podManifest(`web-${i}`, { namespace: 'spread', labels: { app: 'web' }, spec: { nodeSelector: { pool: 'owned' } } });
      return { ...pod, metadata: { ...pod.metadata, ownerReferences: [owner] } };
    });
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: owned }));
    assert.deepEqual(await placements('spread', 'app=web', 6), [2, 2, 2]);
  });

  it('preempts a lower-priority pod for a higher-priority one', async () => {
    await ok(['create', 'namespace', 'prio']);
    await ok(['create', 'priorityclass', 'important', '--value', '1000']);
    await addNode('crowded', { cpu: '2', labels: { pool: 'prio' } });
    await createPod('victim', { namespace: 'prio', cpu: '1500m', spec: { nodeSelector: { pool: 'prio' }, terminationGracePeriodSeconds: 0 } });
    assert.equal(await nodeOf('victim', 'prio'), 'crowded');
    await createPod('vip', { namespace: 'prio', cpu: '1500m', spec: { nodeSelector: { pool: 'prio' }, priorityClassName: 'important' } });
    assert.equal(await nodeOf('vip', 'prio'), 'crowded');
    const left = await ok(['get', 'pods', '-n', 'prio', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.equal(left.trim(), 'vip');
    const preempted = await ok(['get', 'events', '-n', 'prio', '--field-selector', 'involvedObject.name=victim,reason=Preempted', '-o', 'jsonpath={.items[*].message}']);
    assert.match(preempted, /^Preempted by pod [0-9a-f-]+ on node crowded$/);
    const failed = await failedSchedulingMessage('vip', 'prio');
    assert.match(failed, /1 Insufficient cpu/);
  });
});
