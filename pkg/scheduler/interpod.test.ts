import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheWith, info, node, pod } from './fixtures.ts';
import { AFFINITY_REASON, interPodAffinity } from './interpod.ts';
import type { Affinity, PodAffinityTerm } from './types.ts';

const ZONE = 'topology.kubernetes.io/zone';
const term = (app: string, topologyKey = ZONE, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({ labelSelector: { matchLabels: { app } }, topologyKey, ...extra });
const withAffinity = (name: string, affinity: Affinity, labels: Record<string, string> = {}, nodeName?: string) => pod(name, { labels, nodeName, spec: { affinity } });
const nodes = () => [node('a1', { labels: { [ZONE]: 'a' } }), node('a2', { labels: { [ZONE]: 'a' } }), node('b1', { labels: { [ZONE]: 'b' } })];

describe('InterPodAffinity', () => {
  it('required affinity: only domains holding a matching pod', () => {
    const cache = cacheWith(nodes(), [pod('db', { labels: { app: 'db' }, nodeName: 'a2' })]);
    const p = withAffinity('web', { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } });
    const { filter } = interPodAffinity(info(p), cache, cache.nodeInfos());
    assert.equal(filter!(cache.nodeInfo('a1')!), undefined, 'same zone as db');
    assert.deepEqual(filter!(cache.nodeInfo('b1')!), { reasons: [AFFINITY_REASON.affinity], unresolvable: true });
  });

  it('required affinity to its own kind lets the first pod of the group go anywhere', () => {
    const cache = cacheWith(nodes());
    const p = withAffinity('first', { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('group')] } }, { app: 'group' });
    assert.equal(interPodAffinity(info(p), cache, cache.nodeInfos()).filter!(cache.nodeInfo('b1')!), undefined);
    const stranger = withAffinity('stranger', { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('group')] } });
    assert.notEqual(interPodAffinity(info(stranger), cache, cache.nodeInfos()).filter!(cache.nodeInfo('b1')!), undefined);
  });

  it('required anti-affinity of the pod and of existing pods', () => {
    const existing = withAffinity('guard', { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web', 'kubernetes.io/hostname')] } }, { app: 'guard' }, 'a1');
    const cache = cacheWith(nodes(), [existing, pod('web-0', { labels: { app: 'web' }, nodeName: 'b1' })]);
    const p = withAffinity('web-1', { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } }, { app: 'web' });
    const { filter } = interPodAffinity(info(p), cache, cache.nodeInfos());
    assert.deepEqual(filter!(cache.nodeInfo('a1')!)?.reasons, [AFFINITY_REASON.existingAntiAffinity]);
    assert.equal(filter!(cache.nodeInfo('a2')!), undefined, 'the guard forbids only its own host');
    assert.deepEqual(filter!(cache.nodeInfo('b1')!)?.reasons, [AFFINITY_REASON.antiAffinity]);
  });

  it('terms look in the pod namespace unless namespaces say otherwise', () => {
    const cache = cacheWith(nodes(), [pod('db', { namespace: 'other', labels: { app: 'db' }, nodeName: 'a1' })]);
    const local = withAffinity('web', { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } });
    assert.equal(interPodAffinity(info(local), cache, cache.nodeInfos()).filter!(cache.nodeInfo('a1')!), undefined);
    const wide = withAffinity('web', { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE, { namespaces: ['other'] })] } });
    assert.notEqual(interPodAffinity(info(wide), cache, cache.nodeInfos()).filter!(cache.nodeInfo('a1')!), undefined);
    cache.namespaceLabels = (ns): Record<string, string> => (ns === 'other' ? { team: 'data' } : {});
    const bySelector = withAffinity('web', { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db', ZONE, { namespaceSelector: { matchLabels: { team: 'data' } } })] } });
    assert.notEqual(interPodAffinity(info(bySelector), cache, cache.nodeInfos()).filter!(cache.nodeInfo('a1')!), undefined);
  });

  it('preferred terms score domains up and down', () => {
    const cache = cacheWith(nodes(), [pod('cache', { labels: { app: 'cache' }, nodeName: 'a1' }), pod('noisy', { labels: { app: 'noisy' }, nodeName: 'b1' })]);
    const p = withAffinity('web', {
      podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('cache') }] },
      podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('noisy') }] },
    });
    const { scorer, filter } = interPodAffinity(info(p), cache, cache.nodeInfos());
    assert.equal(filter, undefined);
    const [a1, a2, b1] = scorer!.score(['a1', 'a2', 'b1'].map((n) => cache.nodeInfo(n)!));
    assert.equal(a1, 100);
    assert.equal(a2, 100);
    assert.equal(b1, 0);
  });
});
