import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheWith, node, pod } from './fixtures.ts';

describe('scheduler cache', () => {
  it('counts bound pods, assumed pods, and gives capacity back on forget or finish', () => {
    const cache = cacheWith([node('n')], [pod('bound', { nodeName: 'n', cpu: '1' })]);
    const n = cache.nodeInfo('n')!;
    assert.equal(n.requested.cpu, 1000);
    const p = pod('new', { cpu: '500m' });
    cache.assume(p, 'n');
    assert.equal(n.requested.cpu, 1500);
    assert.equal(cache.isAssumed('default/new'), true);
    // The informer still shows it pending: the assumption stands.
    cache.updatePod(p);
    assert.equal(n.requested.cpu, 1500);
    cache.forget(p);
    assert.equal(n.requested.cpu, 1000);
    cache.assume(p, 'n');
    cache.updatePod({ ...p, spec: { ...p.spec, nodeName: 'n' } });
    assert.equal(cache.isAssumed('default/new'), false, 'the binding was seen');
    cache.forget(p);
    assert.equal(n.requested.cpu, 1500, 'forgetting after the binding is seen changes nothing');
    cache.updatePod({ ...pod('bound', { nodeName: 'n', cpu: '1' }), status: { phase: 'Succeeded' } });
    assert.equal(n.requested.cpu, 500);
    assert.equal(n.pods.size, 1);
  });

  it('keeps pods of a node that is gone until they go, and lists only existing nodes', () => {
    const cache = cacheWith([node('a'), node('b')], [pod('p', { nodeName: 'a' })]);
    cache.removeNode('a');
    assert.deepEqual(cache.nodeInfos().map((n) => n.name), ['b']);
    cache.setNode(node('a'));
    assert.equal(cache.nodeInfo('a')!.pods.size, 1);
  });

  it('counts a controller pods per node and per zone, terminating pods not', () => {
    const zoned = (name: string, zone: string) => node(name, { labels: { 'topology.kubernetes.io/zone': zone } });
    const cache = cacheWith([zoned('a1', 'a'), zoned('b1', 'b')], [pod('x', { owner: 'rs', nodeName: 'a1' }), pod('y', { owner: 'rs', nodeName: 'a1' }), pod('z', { owner: 'rs', nodeName: 'b1' })]);
    assert.deepEqual([...cache.controllerSpread('rs')!], [['a1', 2], ['b1', 1]]);
    assert.deepEqual([...cache.controllerZoneSpread('rs')!], [['a', 2], ['b', 1]]);
    const going = pod('z', { owner: 'rs', nodeName: 'b1' });
    going.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    cache.updatePod(going);
    assert.deepEqual([...cache.controllerZoneSpread('rs')!], [['a', 2]]);
  });

  it('withoutPods is a what-if: everything is back afterwards', () => {
    const cache = cacheWith([node('n')], [pod('a', { nodeName: 'n', cpu: '1' }), pod('b', { nodeName: 'n', cpu: '1' })]);
    const n = cache.nodeInfo('n')!;
    const infos = [...n.pods.values()];
    const inside = cache.withoutPods(infos, () => n.requested.cpu);
    assert.equal(inside, 0);
    assert.equal(n.requested.cpu, 2000);
  });
});
