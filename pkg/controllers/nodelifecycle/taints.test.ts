import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { unknownStatus } from './conditions.ts';
import { planTaints } from './nodetaints.ts';
import { matchingTolerations, minTolerationSeconds, NOT_READY, tolerates, UNREACHABLE } from './taints.ts';
import { allDisrupted, summarizeZones, ZoneLimiter, zoneRate, zoneState } from './zones.ts';

const unreachable = { key: UNREACHABLE, effect: 'NoExecute' };

test('tolerations match taints as Kubernetes matches them', () => {
  assert.equal(tolerates({ operator: 'Exists' }, unreachable), true);
  assert.equal(tolerates({ key: UNREACHABLE, operator: 'Exists', effect: 'NoSchedule' }, unreachable), false);
  assert.equal(tolerates({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' }), true);
  assert.equal(tolerates({ key: 'k', operator: 'Equal', value: 'w' }, { key: 'k', value: 'v', effect: 'NoExecute' }), false);
  const defaults = [
    { key: NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 3 },
  ];
  const m = matchingTolerations([unreachable], defaults);
  assert.equal(m.all, true);
  assert.equal(minTolerationSeconds(m.used), 3);
  assert.equal(matchingTolerations([unreachable, { key: 'other', effect: 'NoExecute' }], defaults).all, false);
  assert.equal(minTolerationSeconds(matchingTolerations([unreachable], [{ operator: 'Exists' }]).used), undefined, 'no tolerationSeconds: forever');
  assert.equal(minTolerationSeconds([{ operator: 'Exists', tolerationSeconds: -5 }]), 0);
});

function node(ready: string | undefined, taints: object[] = [], extra: object = {}): KObject {
  return {
    metadata: { name: 'n', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { taints, ...extra },
    status: { conditions: ready ? [{ type: 'Ready', status: ready, lastHeartbeatTime: '2026-01-01T00:00:05Z' }] : [] },
  };
}

test('an Unknown node gets unreachable NoSchedule at once and NoExecute only when allowed', () => {
  const held = planTaints(node('Unknown', [{ key: 'user', effect: 'NoSchedule' }]), UNREACHABLE, false, 0);
  assert.equal(held.held, true);
  assert.deepEqual(held.taints.map((t) => `${t.key}:${t.effect}`), ['user:NoSchedule', `${UNREACHABLE}:NoSchedule`]);
  const added = planTaints(node('Unknown'), UNREACHABLE, true, Date.parse('2026-02-03T04:05:06Z'));
  assert.deepEqual(added.taints.find((t) => t.effect === 'NoExecute'), { key: UNREACHABLE, effect: 'NoExecute', timeAdded: '2026-02-03T04:05:06Z' });
});

test('not-ready swaps to unreachable without waiting; a Ready node loses both; cordon adds unschedulable', () => {
  const swapped = planTaints(node('Unknown', [{ key: NOT_READY, effect: 'NoExecute' }, { key: NOT_READY, effect: 'NoSchedule' }]), UNREACHABLE, false, 0);
  assert.equal(swapped.held, false);
  assert.deepEqual(swapped.taints.map((t) => `${t.key}:${t.effect}`).sort(), [`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);
  const healed = planTaints(node('True', [{ key: UNREACHABLE, effect: 'NoExecute' }, { key: UNREACHABLE, effect: 'NoSchedule' }, { key: 'user', effect: 'NoExecute' }]), undefined, false, 0);
  assert.deepEqual(healed.taints, [{ key: 'user', effect: 'NoExecute' }]);
  assert.equal(healed.changed, true);
  const cordoned = planTaints(node('True', [], { unschedulable: true }), undefined, false, 0);
  assert.deepEqual(cordoned.taints, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
  assert.equal(planTaints(node('True'), undefined, false, 0).changed, false);
});

test('conditions go Unknown with Kubernetes reasons, keeping the last heartbeat', () => {
  const status = unknownStatus(node('True'), Date.parse('2026-01-01T00:01:00Z'))!;
  const ready = status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.deepEqual(ready, { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: '2026-01-01T00:00:05Z', lastTransitionTime: '2026-01-01T00:01:00Z' });
  assert.equal(status.conditions.find((c: { type: string }) => c.type === 'MemoryPressure').reason, 'NodeStatusNeverUpdated');
  assert.equal(unknownStatus({ ...node('True'), status }, 0), undefined, 'already Unknown: nothing to write');
});

test('zones: states, rates, master disruption and the token bucket', () => {
  assert.equal(zoneState(2, 2), 'Normal');
  assert.equal(zoneState(2, 3), 'PartialDisruption');
  assert.equal(zoneState(0, 1), 'FullDisruption');
  assert.equal(zoneRate('PartialDisruption', 10), 0);
  assert.equal(zoneRate('PartialDisruption', 100), 0.01);
  assert.equal(zoneRate('FullDisruption', 3), 0.1);
  const zones = summarizeZones([{ z: 'a', r: false }, { z: 'b', r: true }], (n) => n.z, (n) => n.r);
  assert.equal(allDisrupted(zones), false);
  assert.equal(allDisrupted(summarizeZones([{ z: 'a', r: false }], (n) => n.z, (n) => n.r)), true);
  let now = 0;
  const limiter = new ZoneLimiter(() => now);
  assert.equal(limiter.take('a', 0.1), 0);
  assert.equal(limiter.take('a', 0.1), 10_000);
  assert.equal(limiter.take('b', 0.1), 0, 'zones have their own buckets');
  now = 10_000;
  assert.equal(limiter.take('a', 0.1), 0);
  assert.equal(limiter.take('a', 0), Infinity);
});
