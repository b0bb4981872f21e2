import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { placementOn } from './eligibility.ts';
import { newDaemonPod } from './pod.ts';
import { daemonStatus, planNodes, planRollingUpdate, targetNode, type DaemonView } from './plan.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function node(name: string, extra: { labels?: Record<string, string>; taints?: KObject['spec'][] } = {}): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } }, spec: { taints: extra.taints ?? [] } };
}

function daemonSet(spec: KObject['spec'] = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', generation: 2, annotations: { 'deprecated.daemonset.template.generation': '2' } },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      ...spec,
    },
  };
}

let seq = 0;
/** A daemon pod on `nodeName`, at the current template (generation 2) or an old one. */
function pod(nodeName: string, opts: { updated?: boolean; ready?: boolean; phase?: string; bound?: boolean; created?: string } = {}): KObject {
  const p = newDaemonPod(daemonSet(), nodeName, opts.updated === false ? 'oldhash' : 'newhash');
  if (opts.updated === false) p.metadata.labels!['pod-template-generation'] = '1';
  p.metadata.name = `agent-${++seq}`;
  p.metadata.uid = `uid-${seq}`;
  p.metadata.creationTimestamp = opts.created ?? new Date(NOW - 60_000 + seq).toISOString();
  if (opts.bound !== false) p.spec.nodeName = nodeName;
  const ready = opts.ready ?? true;
  p.status = { phase: opts.phase ?? 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(NOW - 30_000).toISOString() }] };
  return p;
}

const view = (ds: KObject, nodes: KObject[], pods: KObject[]): DaemonView => ({ ds, nodes, pods, hash: 'newhash', now: NOW });

describe('daemon pod placement', () => {
  it('follows nodeSelector and required node affinity', () => {
    const ds = daemonSet();
    ds.spec.template.spec.nodeSelector = { disk: 'ssd' };
    assert.equal(placementOn(node('a', { labels: { disk: 'ssd' } }), ds).shouldRun, true);
    assert.equal(placementOn(node('b'), ds).shouldRun, false);
    ds.spec.template.spec.nodeSelector = undefined;
    ds.spec.template.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['c'] }] }] } } };
    assert.deepEqual(['a', 'c'].map((n) => placementOn(node(n, n === 'a' ? { labels: { zone: 'x' } } : {}), ds).shouldRun), [true, true]);
    assert.equal(placementOn(node('d'), ds).shouldRun, false);
  });

  it('skips untolerated taints, keeps pods through NoSchedule ones, tolerates cordons and not-ready', () => {
    const ds = daemonSet();
    assert.deepEqual(placementOn(node('a', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }), ds), { shouldRun: false, shouldContinueRunning: true });
    assert.deepEqual(placementOn(node('a', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] }), ds), { shouldRun: false, shouldContinueRunning: false });
    assert.equal(placementOn(node('a', { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }), ds).shouldRun, true);
    ds.spec.template.spec.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }];
    assert.equal(placementOn(node('a', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }), ds).shouldRun, true);
    assert.equal(placementOn(node('a', { taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] }), ds).shouldRun, false);
  });

  it('pins the pod to its node through the scheduler and adds the daemon tolerations', () => {
    const ds = daemonSet();
    ds.spec.template.spec.hostNetwork = true;
    const p = newDaemonPod(ds, 'node-1', 'h1');
    assert.equal(p.spec.nodeName, undefined);
    assert.deepEqual(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution, { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }] });
    assert.equal(targetNode(p), 'node-1');
    assert.deepEqual(p.metadata.labels, { app: 'agent', 'controller-revision-hash': 'h1', 'pod-template-generation': '2' });
    assert.equal(p.metadata.generateName, 'agent-');
    assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
    const keys = p.spec.tolerations.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`);
    assert.deepEqual(keys.sort(), [
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/network-unavailable:NoSchedule',
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    assert.ok(p.spec.tolerations.every((t: { tolerationSeconds?: number }) => t.tolerationSeconds === undefined));
  });
});

describe('daemon manage loop', () => {
  it('creates on every eligible node without a pod, and only there', () => {
    const nodes = [node('a'), node('b'), node('c', { taints: [{ key: 'k', effect: 'NoSchedule' }] })];
    const plan = planNodes(view(daemonSet(), nodes, [pod('a')]));
    assert.deepEqual(plan.createOn, ['b']);
    assert.deepEqual(plan.deletePods, []);
  });

  it('deletes duplicates (keeping the oldest), failed pods, pods that may not stay and unbound pods of vanished nodes', () => {
    const keep = pod('a');
    const dup = pod('a');
    const failed = pod('b', { phase: 'Failed' });
    const evicted = pod('c');
    const orphanUnbound = pod('gone', { bound: false });
    const orphanBound = pod('gone2');
    const nodes = [node('a'), node('b'), node('c', { taints: [{ key: 'k', effect: 'NoExecute' }] })];
    const plan = planNodes(view(daemonSet(), nodes, [keep, dup, failed, evicted, orphanUnbound, orphanBound]));
    assert.deepEqual(plan.deletePods.map((p) => p.metadata.name).sort(), [dup, failed, evicted, orphanUnbound].map((p) => p.metadata.name).sort());
    assert.deepEqual(plan.failedPods, [failed]);
    assert.deepEqual(plan.createOn, []);
  });
});

describe('failed daemon pods', () => {
  it('are replaced at once, or after the backoff their node is in', () => {
    const failed = pod('a', { phase: 'Failed' });
    const now = planNodes(view(daemonSet(), [node('a')], [failed]));
    assert.deepEqual([now.deletePods, now.failedPods, now.recheckMs], [[failed], [failed], undefined]);
    const backedOff = planNodes({ ...view(daemonSet(), [node('a')], [failed]), failedPodBackoffMs: (n) => (n === 'a' ? 500 : 0) });
    assert.deepEqual([backedOff.deletePods, backedOff.createOn, backedOff.recheckMs], [[], [], 500]);
  });
});

describe('daemon rolling update', () => {
  const nodes = [node('a'), node('b'), node('c')];

  it('maxUnavailable: deletes as many available old pods as the budget allows', () => {
    const ds = daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2, maxSurge: 0 } } });
    assert.equal(planRollingUpdate(view(ds, nodes, nodes.map((n) => pod(n.metadata.name!, { updated: false })))).deletePods.length, 2);
    // One node already holds an unavailable new pod: it uses up one of the two.
    const pods = [pod('a', { ready: false }), pod('b', { updated: false }), pod('c', { updated: false })];
    assert.equal(planRollingUpdate(view(ds, nodes, pods)).deletePods.length, 1);
    // An unavailable old pod is replaced whatever the budget.
    const down = pod('c', { updated: false, ready: false });
    const plan = planRollingUpdate(view(daemonSet(), nodes, [pod('a', { ready: false }), pod('b', { updated: false }), down]));
    assert.deepEqual(plan.deletePods, [down]);
  });

  it('maxSurge: starts new pods beside old ones, deletes an old one once its successor is available', () => {
    const ds = daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const first = planRollingUpdate(view(ds, nodes, nodes.map((n) => pod(n.metadata.name!, { updated: false }))));
    assert.deepEqual([first.createOn.length, first.deletePods.length], [1, 0]);
    const oldA = pod('a', { updated: false });
    const second = planRollingUpdate(view(ds, nodes, [oldA, pod('a'), pod('b', { updated: false }), pod('c', { updated: false })]));
    assert.deepEqual(second.deletePods, [oldA]);
    assert.equal(second.createOn.length, 1);
    const waiting = planRollingUpdate(view(ds, nodes, [pod('a', { updated: false }), pod('a', { ready: false }), pod('b', { updated: false })]));
    assert.deepEqual([waiting.createOn, waiting.deletePods], [[], []]);
  });
});

describe('daemon status', () => {
  it('counts desired, current, ready, updated, available and misscheduled nodes', () => {
    const nodes = [node('a'), node('b'), node('c'), node('d', { taints: [{ key: 'k', effect: 'NoSchedule' }] })];
    const pods = [pod('a'), pod('b', { updated: false }), pod('d')];
    pods.push(pod('c', { ready: false }));
    assert.deepEqual(daemonStatus(view(daemonSet(), nodes, pods)), {
      currentNumberScheduled: 3,
      numberMisscheduled: 1,
      desiredNumberScheduled: 3,
      numberReady: 2,
      numberAvailable: 2,
      numberUnavailable: 1,
      updatedNumberScheduled: 2,
    });
  });
});
