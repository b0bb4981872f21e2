import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { TaintEvictionController } from './tainteviction.ts';
import { fakeContext, iso } from './testing.ts';

function setup() {
  const { ctx, cache, calls, events } = fakeContext();
  const controller = new TaintEvictionController();
  controller.init(ctx);
  return { controller, nodes: cache('nodes'), pods: cache('pods'), calls, events };
}

function node(taints: object[]): KObject {
  return { metadata: { name: 'n1' }, spec: { taints } };
}

function pod(name: string, tolerations: object[], createdMs = Date.now() - 3_600_000): KObject {
  return { metadata: { name, namespace: 'ns', uid: `uid-${name}`, creationTimestamp: iso(createdMs) }, spec: { nodeName: 'n1', tolerations } };
}

const unreachable = (addedMs: number) => ({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: iso(addedMs) });
const tolerate = (seconds?: number) => ({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', ...(seconds === undefined ? {} : { tolerationSeconds: seconds }) });

test('an untolerated taint: DisruptionTarget, then delete with the uid, once even if the cache lags', async () => {
  const { controller, nodes, pods, calls, events } = setup();
  nodes.put(node([unreachable(Date.now())]));
  pods.put(pod('p', []));
  assert.equal(await controller.reconcile('ns/p'), true);
  assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), ['patch /api/v1/namespaces/ns/pods/p/status', 'delete /api/v1/namespaces/ns/pods/p']);
  const condition = (calls[0]!.body as { status: { conditions: { type: string; reason: string }[] } }).status.conditions[0]!;
  assert.equal(condition.type, 'DisruptionTarget');
  assert.equal(condition.reason, 'DeletionByTaintManager');
  assert.deepEqual(events, ['p Normal TaintManagerEviction Marking for deletion Pod ns/p']);
  // The cache still shows the pod without its deletionTimestamp: nothing is sent again.
  assert.equal(await controller.reconcile('ns/p'), true);
  assert.equal(calls.length, 2);
});

test('tolerationSeconds count from the taint, or from the pod when it came later', async () => {
  const { controller, nodes, pods, calls } = setup();
  const now = Date.now();
  nodes.put(node([unreachable(now - 100_000)]));
  pods.put(pod('old', [tolerate(300)]));
  pods.put(pod('new', [tolerate(300)], now - 10_000));
  const oldDue = await controller.reconcile('ns/old');
  const newDue = await controller.reconcile('ns/new');
  assert.equal(typeof oldDue, 'number');
  assert.ok((oldDue as number) <= 200_000 && (oldDue as number) > 190_000, `old pod due in ${String(oldDue)} ms`);
  assert.ok((newDue as number) <= 290_000 && (newDue as number) > 280_000, `new pod due in ${String(newDue)} ms`);
  assert.equal(calls.length, 0);
  pods.put(pod('late', [tolerate(30)]));
  assert.equal(await controller.reconcile('ns/late'), true, 'past its tolerationSeconds: evicted now');
  assert.equal(calls.filter((c) => c.method === 'delete').length, 1);
});

test('tolerated forever, or the taint removed: no eviction, and a scheduled one is cancelled with an event', async () => {
  const { controller, nodes, pods, calls, events } = setup();
  nodes.put(node([unreachable(Date.now())]));
  pods.put(pod('forever', [tolerate()]));
  pods.put(pod('waiting', [tolerate(300)]));
  assert.equal(await controller.reconcile('ns/forever'), true);
  assert.equal(typeof (await controller.reconcile('ns/waiting')), 'number');
  nodes.put(node([]));
  assert.equal(await controller.reconcile('ns/waiting'), true);
  assert.deepEqual(events, ['waiting Normal TaintManagerEviction Cancelling deletion of Pod ns/waiting']);
  assert.equal(calls.length, 0);
});
