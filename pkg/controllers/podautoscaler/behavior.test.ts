import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScaleHistory, type Behavior } from './behavior.ts';

const T0 = 1_000_000_000;
const s = (seconds: number) => T0 + seconds * 1000;

describe('HPA normalization without spec.behavior', () => {
  it('holds a scale-down for the 300 s stabilization window, then takes the highest recent recommendation', () => {
    const h = new ScaleHistory();
    h.recordInitial('k', 5, s(0));
    const held = h.normalize('k', 5, 2, 1, 10, s(10));
    assert.equal(held.replicas, 5);
    assert.deepEqual(held.ableToScale, { status: 'True', reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' });
    assert.equal(h.normalize('k', 5, 3, 1, 10, s(200)).replicas, 5);
    // At 301 s the initial 5 fell out; 3 (at 200 s) is the highest left.
    assert.equal(h.normalize('k', 5, 2, 1, 10, s(301)).replicas, 3);
    const ready = h.normalize('k', 3, 3, 1, 10, s(302));
    assert.deepEqual([ready.replicas, ready.ableToScale.reason], [3, 'ReadyForNewScale']);
  });

  it('limits a scale-up to double (at least 4) and clamps to min and max, saying which limit applied', () => {
    const h = new ScaleHistory();
    const up = h.normalize('k', 1, 10, 1, 20, s(0));
    assert.equal(up.replicas, 4);
    assert.deepEqual(up.scalingLimited, { status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
    const max = h.normalize('m', 10, 30, 1, 15, s(0));
    assert.deepEqual([max.replicas, max.scalingLimited.status, max.scalingLimited.reason], [15, 'True', 'TooManyReplicas']);
    const min = h.normalize('n', 3, 0, 2, 15, s(0));
    assert.deepEqual([min.replicas, min.scalingLimited.reason, min.scalingLimited.message], [2, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count']);
    const within = h.normalize('w', 3, 5, 1, 15, s(0));
    assert.deepEqual([within.replicas, within.ableToScale.reason, within.scalingLimited], [5, 'ReadyForNewScale', { status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' }]);
  });
});

describe('HPA normalization with spec.behavior', () => {
  it('rate-limits by the policies over the scale events of their period', () => {
    const h = new ScaleHistory();
    const behavior: Behavior = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };
    h.recordInitial('k', 2, s(0));
    const first = h.normalizeWithBehavior('k', behavior, 2, 5, 1, 10, s(0));
    assert.deepEqual([first.replicas, first.scalingLimited.status, first.scalingLimited.reason], [3, 'True', 'ScaleUpLimit']);
    h.recordScale('k', behavior, 2, 3, s(0));
    // Within the minute the period started at 2: one pod more is already spent.
    assert.equal(h.normalizeWithBehavior('k', behavior, 3, 5, 1, 10, s(15)).replicas, 3);
    assert.equal(h.normalizeWithBehavior('k', behavior, 3, 5, 1, 10, s(61)).replicas, 4);
  });

  it('scales down at once with a zero window, by the default 100 % per 15 s, down to minReplicas', () => {
    const h = new ScaleHistory();
    const behavior: Behavior = { scaleDown: { stabilizationWindowSeconds: 0 } };
    h.recordInitial('k', 5, s(0));
    const down = h.normalizeWithBehavior('k', behavior, 5, 0, 1, 10, s(1));
    assert.deepEqual([down.replicas, down.ableToScale.reason, down.scalingLimited.reason], [1, 'ReadyForNewScale', 'TooFewReplicas']);
  });

  it('keeps the default 300 s scale-down window when the behavior does not set one', () => {
    const h = new ScaleHistory();
    h.recordInitial('k', 5, s(0));
    const held = h.normalizeWithBehavior('k', { scaleUp: {} }, 5, 2, 1, 10, s(10));
    assert.deepEqual([held.replicas, held.ableToScale.reason], [5, 'ScaleDownStabilized']);
  });

  it('holds a scale-up for its window: the lowest recent recommendation wins', () => {
    const h = new ScaleHistory();
    const behavior: Behavior = { scaleUp: { stabilizationWindowSeconds: 60 } };
    h.recordInitial('k', 2, s(0));
    const held = h.normalizeWithBehavior('k', behavior, 2, 6, 1, 10, s(10));
    assert.deepEqual([held.replicas, held.ableToScale.reason], [2, 'ScaleUpStabilized']);
    assert.equal(h.normalizeWithBehavior('k', behavior, 2, 6, 1, 10, s(61)).replicas, 6);
  });

  it('selectPolicy Min takes the smallest change, Disabled none', () => {
    const policies = [
      { type: 'Pods' as const, value: 1, periodSeconds: 15 },
      { type: 'Percent' as const, value: 50, periodSeconds: 15 },
    ];
    const h = new ScaleHistory();
    assert.equal(h.normalizeWithBehavior('a', { scaleUp: { selectPolicy: 'Min', policies } }, 10, 20, 1, 100, s(0)).replicas, 11);
    assert.equal(h.normalizeWithBehavior('b', { scaleUp: { selectPolicy: 'Max', policies } }, 10, 20, 1, 100, s(0)).replicas, 15);
    const disabled = h.normalizeWithBehavior('c', { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } }, 10, 2, 1, 100, s(0));
    assert.deepEqual([disabled.replicas, disabled.scalingLimited.reason], [10, 'ScaleDownLimit']);
  });
});
