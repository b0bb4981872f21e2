import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue } from './workqueue.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

/** The queue's retry timers do not keep a process alive: a test waiting on them must. */
async function keepAlive<T>(pending: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1000);
  try {
    return await pending;
  } finally {
    clearInterval(timer);
  }
}

describe('WorkQueue', () => {
  it('coalesces keys added while queued and never runs one key twice at once', async () => {
    const running = new Set<string>();
    const calls: string[] = [];
    let overlap = false;
    const q = new WorkQueue(async (key) => {
      if (running.has(key)) overlap = true;
      running.add(key);
      calls.push(key);
      await tick();
      running.delete(key);
      return true;
    }, { name: 'test', workers: 4, paused: true });
    q.add('a');
    q.add('a');
    q.add('b');
    q.resume();
    q.add('a'); // while a runs: once more afterwards
    await q.idle();
    assert.equal(overlap, false);
    assert.deepEqual(calls.sort(), ['a', 'a', 'b']);
    q.stop();
  });

  it('reconciles nothing while paused', async () => {
    const calls: string[] = [];
    const q = new WorkQueue(async (key) => {
      calls.push(key);
      return true;
    }, { name: 'test', paused: true });
    q.add('x');
    await tick();
    assert.deepEqual(calls, []);
    assert.equal(q.length, 1);
    q.resume();
    await q.idle();
    assert.deepEqual(calls, ['x']);
    q.stop();
  });

  it('retries failures with a growing backoff and forgets them on success', async () => {
    let attempts = 0;
    const times: number[] = [];
    const done = new Promise<void>((resolve) => {
      const q = new WorkQueue(async () => {
        times.push(Date.now());
        attempts++;
        if (attempts === 2) throw new Error('boom');
        if (attempts < 4) return false;
        q.stop();
        resolve();
        return true;
      }, { name: 'test', retryMs: 20 });
      q.add('k');
    });
    await keepAlive(done);
    assert.equal(attempts, 4);
    // Delays of 20, 40, 80 ms: each gap at least its backoff.
    assert.ok(times[1]! - times[0]! >= 19 && times[2]! - times[1]! >= 39 && times[3]! - times[2]! >= 79, `gaps ${times.map((t) => t - times[0]!)}`);
  });

  it('looks again after the number of milliseconds a reconcile answers', async () => {
    const calls: number[] = [];
    await keepAlive(new Promise<void>((resolve) => {
      const q = new WorkQueue(async () => {
        calls.push(Date.now());
        if (calls.length === 1) return 30;
        q.stop();
        resolve();
        return true;
      }, { name: 'test' });
      q.add('k');
    }));
    assert.equal(calls.length, 2);
    assert.ok(calls[1]! - calls[0]! >= 29);
    const q2 = new WorkQueue(async () => true, { name: 'test' });
    q2.addRateLimited('z');
    assert.equal(q2.retries('z'), 1);
    q2.forget('z');
    assert.equal(q2.retries('z'), 0);
    q2.stop();
  });
});
