import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pod } from './fixtures.ts';
import { SchedulingQueue } from './queue.ts';

const at = (name: string, priority: number, created: string) => {
  const p = pod(name, { priority });
  p.metadata.creationTimestamp = created;
  return p;
};

describe('scheduling queue', () => {
  it('pops higher priority first, then older', async () => {
    const q = new SchedulingQueue();
    q.add(at('young-low', 0, '2026-01-01T00:00:02Z'));
    q.add(at('old-low', 0, '2026-01-01T00:00:01Z'));
    q.add(at('high', 10, '2026-01-01T00:00:03Z'));
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await q.pop())!.pod.metadata.name);
    assert.deepEqual(order, ['high', 'old-low', 'young-low']);
    q.close();
  });

  it('parks unschedulable pods until the cluster changes, then backs them off', async () => {
    const q = new SchedulingQueue({ initialBackoffMs: 20, maxBackoffMs: 40 });
    q.add(pod('p'));
    const first = (await q.pop())!;
    q.unschedulable('default/p', first.cycle);
    assert.equal(q.length, 0);
    // Our own status write (the pod's status changes, not its spec) does not bring it back.
    q.add({ ...pod('p'), status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] } });
    assert.equal(q.length, 0);
    q.moveAllToActive();
    assert.equal(q.length, 0, 'still in backoff');
    const again = (await q.pop())!;
    assert.equal(again.pod.metadata.name, 'p');
    q.close();
  });

  it('a cluster change during the attempt sends the pod to backoff instead of the pool', async () => {
    const q = new SchedulingQueue({ initialBackoffMs: 10 });
    q.add(pod('p'));
    const item = (await q.pop())!;
    q.moveAllToActive();
    q.unschedulable('default/p', item.cycle);
    assert.equal((await q.pop())!.pod.metadata.name, 'p');
    q.close();
  });

  it('forgets deleted pods and placed pods', async () => {
    const q = new SchedulingQueue();
    q.add(pod('gone'));
    q.delete(pod('gone'));
    q.add(pod('placed'));
    const item = (await q.pop())!;
    q.done('default/placed');
    assert.equal(q.has('default/placed'), false);
    assert.equal(item.pod.metadata.name, 'placed');
    assert.equal(q.length, 0);
    q.close();
    assert.equal(await q.pop(), undefined);
  });
});
