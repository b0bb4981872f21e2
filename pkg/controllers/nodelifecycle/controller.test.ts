import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { NodeLifecycleController } from './controller.ts';
import { fakeContext, iso, type Call } from './testing.ts';

function node(name: string, ready: string, rv = '1'): KObject {
  const beat = iso(Date.now() - 1000);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, resourceVersion: rv, creationTimestamp: beat },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: beat, lastTransitionTime: beat }] },
  };
}

function readyPod(name: string, nodeName: string): KObject {
  return { metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '5' }, spec: { nodeName }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
}

function setup(graceMs: number) {
  const { ctx, cache, calls, events } = fakeContext({ nodeMonitorGracePeriodMs: graceMs });
  const controller = new NodeLifecycleController();
  controller.init(ctx);
  return { controller, nodes: cache('nodes'), pods: cache('pods'), calls, events };
}

const taintPatch = (calls: Call[], name: string) =>
  calls.filter((c) => c.method === 'patch' && c.path === `/api/v1/nodes/${name}`).map((c) => (c.body as { spec: { taints: { key: string; effect: string }[] | null } }).spec.taints);

test('a heartbeating node is only announced, and looked at again when its grace period would end', async () => {
  const { controller, nodes, calls, events } = setup(40_000);
  nodes.put(node('n1', 'True'));
  const next = await controller.reconcile('n1');
  assert.equal(typeof next, 'number');
  assert.ok((next as number) > 30_000 && (next as number) <= 40_000);
  assert.deepEqual(calls, []);
  assert.deepEqual(events, ['n1 Normal RegisteredNode Node n1 event: Registered Node n1 in Controller']);
});

test('a silent node goes Unknown, its pods not Ready, and gets the unreachable taints while another node is Ready', async () => {
  const { controller, nodes, pods, calls, events } = setup(0);
  nodes.put(node('n1', 'True'));
  nodes.put(node('n2', 'True'));
  pods.put(readyPod('p', 'n1'));
  assert.equal(await controller.reconcile('n1'), true);

  const update = calls.find((c) => c.method === 'update')!;
  assert.equal(update.path, '/api/v1/nodes/n1/status');
  const ready = (update.body as KObject).status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.equal(ready.status, 'Unknown');
  assert.equal(ready.reason, 'NodeStatusUnknown');
  const podPatch = calls.find((c) => c.path === '/api/v1/namespaces/ns/pods/p/status')!;
  assert.equal((podPatch.body as { status: { conditions: { type: string; status: string }[] } }).status.conditions[0]!.status, 'False');
  assert.deepEqual(taintPatch(calls, 'n1')[0]!.map((t) => `${t.key}:${t.effect}`), ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
  assert.ok(events.includes('n1 Normal NodeNotReady Node n1 status is now: NodeNotReady'));
  assert.ok(events.includes('p Warning NodeNotReady Node is not ready'));

  // n2 falls silent too, while the cache still shows n1 Ready: every node is down now, so n2
  // gets no NoExecute taint (Kubernetes' master disruption mode).
  calls.length = 0;
  assert.equal(await controller.reconcile('n2'), true);
  assert.deepEqual(taintPatch(calls, 'n2')[0]!.map((t) => `${t.key}:${t.effect}`), ['node.kubernetes.io/unreachable:NoSchedule']);
});

test('a second node of the zone waits for the zone\'s token before its NoExecute taint', async () => {
  const { controller, nodes, calls } = setup(0);
  for (const name of ['n1', 'n2', 'n3', 'n4']) nodes.put(node(name, 'True'));
  assert.equal(await controller.reconcile('n1'), true);
  const wait = await controller.reconcile('n2');
  assert.equal(typeof wait, 'number', 'n2 is looked at again when a token is due');
  assert.ok((wait as number) > 9_000 && (wait as number) <= 10_000);
  assert.deepEqual(taintPatch(calls, 'n2')[0]!.map((t) => `${t.key}:${t.effect}`), ['node.kubernetes.io/unreachable:NoSchedule']);
});

test('Ready again: the controller\'s taints go, the user\'s stay', async () => {
  const { controller, nodes, calls } = setup(40_000);
  const n = node('n1', 'True');
  n.spec.taints = [
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(Date.now()) },
    { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
    { key: 'dedicated', value: 'db', effect: 'NoSchedule' },
  ];
  nodes.put(n);
  await controller.reconcile('n1');
  assert.deepEqual(taintPatch(calls, 'n1'), [[{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]]);
});
