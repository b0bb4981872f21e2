import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { podMetricsOf } from './metrics.ts';
import { DEFAULT_CALCULATOR, groupPods, podRequests, rawResourceReplicas, resourceReplicas, type CalculatorOptions, type PodMetrics } from './replicas.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const o: CalculatorOptions = { ...DEFAULT_CALCULATOR, now: NOW };

/** A pod started an hour ago and ready since then, unless told otherwise. */
function pod(name: string, opts: { cpu?: string; phase?: string; ready?: 'True' | 'False'; startedAgoMs?: number; readyAgoMs?: number; deleted?: boolean } = {}): KObject {
  const started = NOW - (opts.startedAgoMs ?? 3_600_000);
  return {
    metadata: { name, namespace: 'default', ...(opts.deleted ? { deletionTimestamp: iso(NOW) } : {}) },
    spec: { containers: [{ name: 'c', resources: opts.cpu === undefined ? { requests: { cpu: '1' } } : opts.cpu ? { requests: { cpu: opts.cpu } } : {} }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: iso(started),
      conditions: [{ type: 'Ready', status: opts.ready ?? 'True', lastTransitionTime: iso(NOW - (opts.readyAgoMs ?? 3_500_000)) }],
    },
  };
}

function usage(values: Record<string, number>, at = NOW - 1000, windowMs = 15_000): PodMetrics {
  return new Map(Object.entries(values).map(([name, value]) => [name, { timestampMs: at, windowMs, value }]));
}

describe('HPA replica calculation (resource utilization)', () => {
  it('scales to ceil(ready pods × utilization / target)', () => {
    const pods = [pod('a'), pod('b'), pod('c')];
    // 3000m of 3000m requested is 100 %; against a 30 % target that is 3.33 × 3 pods → 10.
    const r = resourceReplicas(3, 30, 'cpu', '', pods, usage({ a: 900, b: 1000, c: 1100 }), o);
    assert.deepEqual(r, { replicas: 10, utilization: 100, rawUtilization: 1000 });
  });

  it('keeps the current size within the 10 % tolerance, and leaves it beyond', () => {
    const pods = [pod('a'), pod('b')];
    assert.equal(resourceReplicas(2, 50, 'cpu', '', pods, usage({ a: 540, b: 540 }), o).replicas, 2);
    assert.equal(resourceReplicas(2, 50, 'cpu', '', pods, usage({ a: 560, b: 560 }), o).replicas, 3);
    assert.equal(resourceReplicas(2, 50, 'cpu', '', pods, usage({ a: 200, b: 200 }), o).replicas, 1);
  });

  it('counts unready pods as idle on a scale-up, which can cancel it', () => {
    const pods = [pod('a'), pod('b'), pod('c', { phase: 'Pending' }), pod('d', { phase: 'Pending' })];
    // Ready pods alone are at 2× the target; with the pending pods at 0 % the average is on target.
    assert.equal(resourceReplicas(4, 50, 'cpu', '', pods, usage({ a: 1000, b: 1000 }), o).replicas, 4);
    assert.equal(resourceReplicas(2, 50, 'cpu', '', [pod('a'), pod('b')], usage({ a: 1000, b: 1000 }), o).replicas, 4);
  });

  it('counts pods without metrics at 100 % of their request on a scale-down', () => {
    const pods = [pod('a'), pod('b'), pod('c')];
    // a and b alone (10 %) would go to 1 pod; c at 100 % makes it 40 % → 2.4 → 3: no scale-down.
    assert.equal(resourceReplicas(3, 50, 'cpu', '', pods, usage({ a: 100, b: 100 }), o).replicas, 3);
    assert.equal(resourceReplicas(3, 50, 'cpu', '', pods, usage({ a: 100, b: 100, c: 100 }), o).replicas, 1);
  });

  it('counts pods without metrics as idle on a scale-up', () => {
    const pods = [pod('a'), pod('b'), pod('c')];
    // a and b at 100 % of a 25 % target → 8 pods; c at 0 % makes 66 % → 2.64 × 3 → 8.
    assert.equal(resourceReplicas(3, 25, 'cpu', '', pods, usage({ a: 1000, b: 1000 }), o).replicas, 8);
    assert.equal(resourceReplicas(3, 40, 'cpu', '', pods, usage({ a: 1000, b: 1000 }), o).replicas, 5);
  });

  it('ignores deleted and failed pods, and fails without any usable figure', () => {
    const pods = [pod('a'), pod('gone', { deleted: true }), pod('dead', { phase: 'Failed' })];
    assert.equal(resourceReplicas(1, 50, 'cpu', '', pods, usage({ a: 1000, gone: 0, dead: 0 }), o).replicas, 2);
    assert.throws(() => resourceReplicas(1, 50, 'cpu', '', [pod('p', { phase: 'Pending' })], usage({ p: 10 }), o), /did not receive metrics for targeted pods \(pods might be unready\)/);
    assert.throws(() => resourceReplicas(1, 50, 'cpu', '', [], usage({}), o), /no pods returned by selector while calculating replica count/);
  });

  it('needs a request in every container it measures', () => {
    assert.throws(() => resourceReplicas(1, 50, 'cpu', '', [pod('a', { cpu: '' })], usage({ a: 10 }), o), /^AutoscalerError: missing request for cpu in container c of Pod a$/);
    const sidecar = pod('s');
    sidecar.spec.initContainers = [{ name: 'log', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } }, { name: 'init', resources: {} }];
    assert.equal(podRequests([sidecar], 'cpu').get('s'), 1500);
    assert.equal(podRequests([sidecar], 'cpu', 'log').get('s'), 500);
  });

  it('leaves out CPU samples taken before a starting pod had a full window of readiness', () => {
    const pods = [pod('old'), pod('fresh', { startedAgoMs: 60_000, readyAgoMs: 10_000 }), pod('never', { ready: 'False', startedAgoMs: 600_000, readyAgoMs: 590_000 })];
    const g = groupPods(pods, usage({ old: 1, fresh: 1, never: 1 }), 'cpu', o);
    assert.equal(g.readyPodCount, 1);
    assert.deepEqual([...g.unready].sort(), ['fresh', 'never']);
    // Memory figures are taken as they come.
    assert.equal(groupPods(pods, usage({ old: 1, fresh: 1, never: 1 }), 'memory', o).readyPodCount, 3);
  });
});

describe('HPA replica calculation (average value)', () => {
  it('divides the average usage by the target, with the same conservative treatment', () => {
    const pods = [pod('a'), pod('b')];
    const mi = 1024 * 1024 * 1000;
    assert.deepEqual(rawResourceReplicas(2, 100 * mi, 'memory', pods, usage({ a: 150 * mi, b: 250 * mi }), o), { replicas: 4, usage: 200 * mi });
    // b has no figure: on a scale-down it counts as exactly the target.
    assert.equal(rawResourceReplicas(2, 100 * mi, 'memory', pods, usage({ a: 10 * mi }), o).replicas, 2);
  });
});

describe('pod metrics from metrics.k8s.io', () => {
  const item = (name: string, containers: [string, Record<string, string>][]): KObject => ({
    metadata: { name, namespace: 'default' },
    timestamp: '2026-06-01T11:59:59Z',
    window: '1m0.5s',
    containers: containers.map(([n, u]) => ({ name: n, usage: u })),
  });

  it('sums containers in milli-units, skipping pods with a container missing the figure', () => {
    const m = podMetricsOf([item('a', [['x', { cpu: '250m' }], ['y', { cpu: '1500000n' }]]), item('b', [['x', { memory: '1Mi' }]])], 'cpu');
    assert.deepEqual([...m.keys()], ['a']);
    assert.deepEqual(m.get('a'), { timestampMs: Date.parse('2026-06-01T11:59:59Z'), windowMs: 60_500, value: 252 });
  });

  it('reads one container, and says so when a pod lacks it', () => {
    assert.equal(podMetricsOf([item('a', [['x', { cpu: '250m' }], ['y', { cpu: '1' }]])], 'cpu', 'y').get('a')?.value, 1000);
    assert.throws(() => podMetricsOf([item('a', [['x', { cpu: '1' }]])], 'cpu', 'y'), /container y not present in metrics for pod default\/a/);
  });
});
