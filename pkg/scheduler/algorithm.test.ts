import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Algorithm, numFeasibleNodesToFind } from './algorithm.ts';
import { cacheWith, info, node, pod } from './fixtures.ts';

describe('scheduling algorithm', () => {
  it('scores only a sample of feasible nodes on large clusters, as kube-scheduler', () => {
    assert.equal(numFeasibleNodesToFind(50), 50);
    assert.equal(numFeasibleNodesToFind(100), 100);
    assert.equal(numFeasibleNodesToFind(1000), 420);
    assert.equal(numFeasibleNodesToFind(5000), 500);
    assert.equal(numFeasibleNodesToFind(1000, 100), 1000);
    assert.equal(numFeasibleNodesToFind(1000, 10), 100);
  });

  it('prefers the least allocated node', () => {
    const cache = cacheWith([node('busy'), node('idle')], [pod('x', { nodeName: 'busy', cpu: '3', memory: '6Gi' })]);
    assert.equal(new Algorithm(cache).schedule(info(pod('p', { cpu: '100m' }))).node, 'idle');
  });

  it('avoids PreferNoSchedule taints it does not tolerate and follows preferred node affinity', () => {
    const cache = cacheWith([node('soft', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), node('plain'), node('fast', { labels: { disk: 'ssd' } })]);
    const prefersSsd = pod('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } } } });
    assert.equal(new Algorithm(cache).schedule(info(prefersSsd)).node, 'fast');
    for (let i = 0; i < 5; i++) assert.notEqual(new Algorithm(cache).schedule(info(pod(`q${i}`))).node, 'soft');
  });

  it('reports every node failure when nothing fits', () => {
    const cache = cacheWith([node('a', { cpu: '1' }), node('b', { unschedulable: true })]);
    const out = new Algorithm(cache).schedule(info(pod('p', { cpu: '2' })));
    assert.equal(out.node, undefined);
    if (out.node === undefined) {
      assert.equal(out.numAllNodes, 2);
      assert.deepEqual(out.failures.get('a')?.reasons, ['Insufficient cpu']);
      assert.deepEqual(out.failures.get('b')?.reasons, ['node(s) were unschedulable']);
    }
  });

  it('sees assumed pods at once, so a burst does not overfill a node', () => {
    const cache = cacheWith([node('n1', { cpu: '1' }), node('n2', { cpu: '1' })]);
    const algo = new Algorithm(cache);
    const placed = [];
    for (let i = 0; i < 3; i++) {
      const p = pod(`p${i}`, { cpu: '600m' });
      const out = algo.schedule(info(p));
      if (out.node) cache.assume(p, out.node);
      placed.push(out.node);
    }
    assert.deepEqual(placed.slice(0, 2).sort(), ['n1', 'n2']);
    assert.equal(placed[2], undefined);
  });
});
