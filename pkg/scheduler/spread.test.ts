import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheWith, info, node, pod } from './fixtures.ts';
import { SPREAD_REASON, topologySpread, ZONE } from './spread.ts';
import type { TopologySpreadConstraint } from './types.ts';

const zoned = (name: string, zone?: string, extra: Record<string, string> = {}) => node(name, { labels: { ...(zone ? { [ZONE]: zone } : {}), ...extra } });
const web = (name: string, nodeName?: string) => pod(name, { labels: { app: 'web' }, nodeName });
const constraint = (c: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey: ZONE,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: { app: 'web' } },
  ...c,
});
const incoming = (...constraints: TopologySpreadConstraint[]) => info({ ...web('new'), spec: { ...web('new').spec, topologySpreadConstraints: constraints } });

describe('PodTopologySpread', () => {
  it('DoNotSchedule: a domain may not get more than maxSkew above the emptiest', () => {
    const cache = cacheWith([zoned('a1', 'a'), zoned('b1', 'b'), zoned('none')], [web('w1', 'a1')]);
    const { filter } = topologySpread(incoming(constraint()), cache, cache.nodeInfos());
    assert.deepEqual(filter!(cache.nodeInfo('a1')!)?.reasons, [SPREAD_REASON.skew]);
    assert.equal(filter!(cache.nodeInfo('b1')!), undefined);
    assert.deepEqual(filter!(cache.nodeInfo('none')!), { reasons: [SPREAD_REASON.missingLabel], unresolvable: true });
  });

  it('minDomains: fewer domains than asked count the global minimum as 0', () => {
    const cache = cacheWith([zoned('a1', 'a'), zoned('b1', 'b')], [web('w1', 'a1'), web('w2', 'b1')]);
    const plain = topologySpread(incoming(constraint()), cache, cache.nodeInfos());
    assert.equal(plain.filter!(cache.nodeInfo('a1')!), undefined);
    const wantsThree = topologySpread(incoming(constraint({ minDomains: 3 })), cache, cache.nodeInfos());
    assert.notEqual(wantsThree.filter!(cache.nodeInfo('a1')!), undefined);
  });

  it('nodeAffinityPolicy Honor: nodes the pod cannot go to do not count as domains', () => {
    const cache = cacheWith([zoned('a1', 'a', { pool: 'x' }), zoned('b1', 'b', { pool: 'y' })], [web('w1', 'a1')]);
    const p = incoming(constraint());
    p.pod.spec.nodeSelector = { pool: 'x' };
    const honour = topologySpread(p, cache, cache.nodeInfos());
    assert.equal(honour.filter!(cache.nodeInfo('a1')!), undefined, 'zone b is not a domain for this pod');
    const ignore = topologySpread({ ...p, pod: { ...p.pod, spec: { ...p.pod.spec, topologySpreadConstraints: [constraint({ nodeAffinityPolicy: 'Ignore' })] } } }, cache, cache.nodeInfos());
    assert.notEqual(ignore.filter!(cache.nodeInfo('a1')!), undefined);
  });

  it('ScheduleAnyway scores the emptier domain higher', () => {
    const cache = cacheWith([zoned('a1', 'a'), zoned('b1', 'b')], [web('w1', 'a1'), web('w2', 'a1')]);
    const { filter, scorer } = topologySpread(incoming(constraint({ whenUnsatisfiable: 'ScheduleAnyway' })), cache, cache.nodeInfos());
    assert.equal(filter, undefined);
    const [a, b] = scorer!.score([cache.nodeInfo('a1')!, cache.nodeInfo('b1')!]);
    assert.ok(b! > a!, `${a} vs ${b}`);
  });

  it('system defaults spread a workload (the pods of one controller) across nodes', () => {
    const owned = (name: string, nodeName?: string) => pod(name, { owner: 'rs-1', nodeName });
    const cache = cacheWith([node('n1'), node('n2'), node('n3')], [owned('o1', 'n1'), owned('o2', 'n1'), owned('o3', 'n2'), pod('other', { nodeName: 'n3' })]);
    const { filter, scorer } = topologySpread(info(owned('new')), cache, cache.nodeInfos());
    assert.equal(filter, undefined, 'defaults never filter');
    const [n1, n2, n3] = scorer!.score(['n1', 'n2', 'n3'].map((n) => cache.nodeInfo(n)!));
    assert.ok(n3! > n2! && n2! > n1!, `${n1} ${n2} ${n3}`);
    assert.equal(topologySpread(info(pod('loose')), cache, cache.nodeInfos()).scorer, undefined, 'no controller, no default spreading');
  });
});
