/** The status the worker writes: addresses, and when it writes (not twice, not against another writer every time). */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Harness, makePod, sleeper } from './testing/harness.ts';

let h: Harness;
afterEach(() => h?.close());

test('a dual-stack sandbox gives the pod both addresses, the primary first', async () => {
  h = new Harness();
  const uid = h.add(makePod('dual', { containers: [sleeper('a')] })).metadata.uid!;
  await h.reconcile(uid);
  [...h.runtime.sandboxes.values()][0]!.ip6 = 'fd00:42::5';
  await h.reconcile(uid);
  assert.deepEqual(h.pod(uid).status.podIPs, [{ ip: '10.42.0.1' }, { ip: 'fd00:42::5' }]);
});

test('a second pass with nothing changed neither acts nor writes the status again', async () => {
  h = new Harness();
  const uid = h.add(makePod('web', { containers: [sleeper('a')] })).metadata.uid!;
  await h.reconcile(uid);
  const calls = h.runtime.calls.length;
  const writes = h.statusWrites.length;
  h.advance(5000);
  await h.reconcile(uid);
  assert.equal(h.runtime.calls.length, calls);
  assert.equal(h.statusWrites.length, writes);
});

test('while the informer has not delivered its last write, the worker neither writes it again nor picks new times', async () => {
  h = new Harness();
  h.informerLags = true;
  const uid = h.add(makePod('lag', { containers: [sleeper('a')] })).metadata.uid!;
  await h.reconcile(uid);
  assert.equal(h.statusWrites.length, 1);
  h.advance(5000);
  await h.reconcile(uid);
  assert.equal(h.statusWrites.length, 1);
  h.runtime.exitContainer('a', 1);
  h.advance(5000);
  await h.reconcile(uid);
  assert.equal(h.statusWrites.length, 2);
  const [first, second] = h.statusWrites;
  assert.equal(second!.startTime, first!.startTime);
  const initializedAt = (s: Record<string, any>) => s.conditions.find((c: { type: string }) => c.type === 'Initialized').lastTransitionTime; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(initializedAt(second!), initializedAt(first!));
});

test('another writer flipping the kubelet fields does not start a write war: the status is sent again every 10 s', async () => {
  h = new Harness();
  const uid = h.add(makePod('contested', { containers: [sleeper('a')] })).metadata.uid!;
  await h.reconcile(uid);
  const writes = h.statusWrites.length;
  // The node lifecycle controller marks the pod not Ready (its node is NotReady).
  const pod = h.pod(uid);
  h.pods.set(uid, { ...pod, metadata: { ...pod.metadata, resourceVersion: '999' }, status: { ...pod.status, conditions: pod.status.conditions.map((c: { type: string }) => (c.type === 'Ready' ? { ...c, status: 'False' } : c)) } });
  h.advance(1000);
  assert.equal(await h.reconcile(uid), 9000, 'the re-send is due 10 s after the last write');
  assert.equal(h.statusWrites.length, writes);
  h.advance(9000);
  await h.reconcile(uid);
  assert.equal(h.statusWrites.length, writes + 1);
  assert.equal(h.condition(uid, 'Ready')?.status, 'True');
});
