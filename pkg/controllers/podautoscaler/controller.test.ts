import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { ClientError } from '../../client/errors.ts';
import { fakeContext } from '../replicaset/testing.ts';
import { HorizontalController } from './controller.ts';
import type { MetricsClient } from './metrics.ts';
import type { Scale, ScaleClient, ScaleTargetRef } from './scale.ts';
import { AutoscalerError } from './replicas.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function hpa(spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', uid: 'hpa-uid', generation: 1, resourceVersion: '3' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      ...spec,
    },
    status: { desiredReplicas: 0 },
  };
}

function pod(name: string, labels = { app: 'web' }): KObject {
  return {
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: '100m' } } }] },
    status: { phase: 'Running', startTime: iso(NOW - 3_600_000), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(NOW - 3_500_000) }] },
  };
}

class FakeScales implements ScaleClient {
  replicas: number;
  selector = 'app=web';
  readonly updates: number[] = [];
  fail: Error | undefined;
  constructor(replicas: number) {
    this.replicas = replicas;
  }
  async get(_namespace: string, ref: ScaleTargetRef): Promise<Scale> {
    if (this.fail) throw this.fail;
    return { path: `/scale/${ref.name}`, obj: { metadata: { name: ref.name } }, specReplicas: this.replicas, statusReplicas: this.replicas, selector: this.selector };
  }
  async update(_scale: Scale, replicas: number): Promise<void> {
    this.updates.push(replicas);
    this.replicas = replicas;
  }
}

/** Metrics of each pod: millicores by pod name. */
function fakeMetrics(cpu: Record<string, number>, fail?: Error): MetricsClient & { selectors: string[] } {
  const selectors: string[] = [];
  return {
    selectors,
    async podMetrics(_namespace, selector) {
      selectors.push(selector);
      if (fail) throw fail;
      return Object.entries(cpu).map(([name, m]) => ({ metadata: { name, namespace: 'default' }, timestamp: iso(NOW - 1000), window: '15s', containers: [{ name: 'c', usage: { cpu: `${m}m`, memory: '1Mi' } }] }));
    },
    customMetric: () => Promise.reject(new AutoscalerError('no custom metrics API (custom.metrics.k8s.io) registered')),
    externalMetric: () => Promise.reject(new ClientError(404, { message: 'the server could not find the requested resource' })),
  };
}

function setup(object: KObject, replicas: number, metrics: MetricsClient, podNames = ['a', 'b']) {
  const f = fakeContext();
  const scales = new FakeScales(replicas);
  const c = new HorizontalController({ now: () => NOW, metrics, scales, syncPeriodMs: 1000 });
  c.init(f.ctx);
  f.informers.get('horizontalpodautoscalers')!.upsert(object);
  for (const name of podNames) f.informers.get('pods')!.upsert(pod(name));
  f.informers.get('pods')!.upsert(pod('other', { app: 'db' }));
  const lastStatus = () => f.client.writes.filter((w) => w.verb === 'update' && w.path.endsWith('/status')).at(-1)?.body as KObject | undefined;
  const condition = (type: string) => (lastStatus()?.status.conditions as { type: string; status: string; reason: string; message: string }[]).find((x) => x.type === type);
  return { ...f, c, scales, lastStatus, condition };
}

describe('HorizontalPodAutoscaler controller', () => {
  it('scales the target up from CPU utilization, records the event, status and conditions, and looks again after the sync period', async () => {
    const t = setup(hpa(), 2, fakeMetrics({ a: 150, b: 150, other: 900 }));
    assert.equal(await t.c.reconcile('default/web'), 1000);
    // 300m of 200m requested is 150 % against 50 %: 3 × 2 pods = 6, limited to 2 × 2 = 4 this step.
    assert.deepEqual(t.scales.updates, [4]);
    assert.deepEqual(t.events.events, [{ type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target', name: 'web' }]);
    const status = t.lastStatus()!.status;
    assert.equal(status.currentReplicas, 2);
    assert.equal(status.desiredReplicas, 4);
    assert.equal(status.lastScaleTime, '2026-06-01T12:00:00Z');
    assert.deepEqual(status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 150, averageValue: '150m' } } }]);
    assert.deepEqual(t.condition('AbleToScale'), { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 4', lastTransitionTime: '2026-06-01T12:00:00Z' });
    assert.equal(t.condition('ScalingActive')?.message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
    assert.deepEqual([t.condition('ScalingLimited')?.status, t.condition('ScalingLimited')?.reason], ['True', 'ScaleUpLimit']);
  });

  it('keeps the size within the tolerance and writes the status without a scale time', async () => {
    const t = setup(hpa(), 2, fakeMetrics({ a: 52, b: 52 }));
    await t.c.reconcile('default/web');
    assert.deepEqual(t.scales.updates, []);
    assert.equal(t.events.events.length, 0);
    const status = t.lastStatus()!.status;
    assert.deepEqual([status.currentReplicas, status.desiredReplicas, status.lastScaleTime], [2, 2, undefined]);
    assert.equal(t.condition('AbleToScale')?.reason, 'ReadyForNewScale');
  });

  it('brings the target into [minReplicas, maxReplicas] without reading metrics', async () => {
    const metrics = fakeMetrics({});
    const t = setup(hpa({ maxReplicas: 3 }), 7, metrics);
    await t.c.reconcile('default/web');
    assert.deepEqual(t.scales.updates, [3]);
    assert.equal(t.events.events[0]?.message, 'New size: 3; reason: Current number of replicas above Spec.MaxReplicas');
    assert.equal(metrics.selectors.length, 0);
  });

  it('does nothing to a target scaled to zero', async () => {
    const t = setup(hpa(), 0, fakeMetrics({}));
    await t.c.reconcile('default/web');
    assert.deepEqual(t.scales.updates, []);
    assert.deepEqual(t.condition('ScalingActive'), {
      type: 'ScalingActive',
      status: 'False',
      reason: 'ScalingDisabled',
      message: 'scaling is disabled since the replica count of the target is zero',
      lastTransitionTime: '2026-06-01T12:00:00Z',
    });
  });

  it('reports a metrics API failure as FailedGetResourceMetric and ScalingActive=False', async () => {
    const t = setup(hpa(), 2, fakeMetrics({}, new ClientError(503, { message: 'service unavailable' })));
    await t.c.reconcile('default/web');
    assert.deepEqual(t.scales.updates, []);
    const inner = 'failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: service unavailable';
    assert.deepEqual(
      t.events.events.map((e) => [e.type, e.reason, e.message]),
      [
        ['Warning', 'FailedGetResourceMetric', inner],
        ['Warning', 'FailedComputeMetricsReplicas', `failed to compute desired number of replicas based on listed metrics for Deployment/default/web: invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: ${inner}`],
      ],
    );
    assert.deepEqual(t.condition('ScalingActive'), { type: 'ScalingActive', status: 'False', reason: 'FailedGetResourceMetric', message: `the HPA was unable to compute the replica count: ${inner}`, lastTransitionTime: '2026-06-01T12:00:00Z' });
    assert.deepEqual(t.lastStatus()!.status.currentMetrics, [{ type: '' }]);
  });

  it('says custom and external metrics are not served, and scales on the metrics that are', async () => {
    const metrics = [
      { type: 'Pods', pods: { metric: { name: 'requests' }, target: { type: 'AverageValue', averageValue: '10' } } },
      { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '5' } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Mi' } } },
    ];
    const t = setup(hpa({ metrics }), 2, fakeMetrics({ a: 10, b: 10 }));
    await t.c.reconcile('default/web');
    assert.deepEqual(
      t.events.events.map((e) => [e.reason, e.message]),
      [
        ['FailedGetPodsMetric', 'unable to get metric requests: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered'],
        ['FailedGetExternalMetric', 'unable to get external metric default/queue/nil: unable to fetch metrics from external metrics API: the server could not find the requested resource'],
      ],
    );
    // Memory is exactly on target: with a failed metric that might want more, no scale-down, and no change here.
    assert.deepEqual(t.scales.updates, []);
    assert.equal(t.condition('ScalingActive')?.reason, 'ValidMetricFound');
    assert.deepEqual(t.lastStatus()!.status.currentMetrics[2], { type: 'Resource', resource: { name: 'memory', current: { averageValue: '1048576' } } });
  });

  it('reports a missing target as FailedGetScale', async () => {
    const t = setup(hpa(), 2, fakeMetrics({}));
    t.scales.fail = new ClientError(404, { reason: 'NotFound', message: 'deployments.apps "web" not found' });
    await t.c.reconcile('default/web');
    assert.deepEqual(t.events.events.map((e) => [e.reason, e.message]), [['FailedGetScale', 'deployments.apps "web" not found']]);
    assert.equal(t.condition('AbleToScale')?.message, `the HPA controller was unable to get the target's current scale: deployments.apps "web" not found`);
  });

  it('scales down only after the stabilization window of the behavior', async () => {
    let now = NOW;
    const f = fakeContext();
    const scales = new FakeScales(4);
    const c = new HorizontalController({ now: () => now, metrics: fakeMetrics({ a: 5, b: 5, c: 5, d: 5 }), scales });
    c.init(f.ctx);
    f.informers.get('horizontalpodautoscalers')!.upsert(hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 30, policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } } }));
    for (const name of ['a', 'b', 'c', 'd']) f.informers.get('pods')!.upsert(pod(name));
    await c.reconcile('default/web');
    assert.deepEqual(scales.updates, []);
    now += 31_000;
    await c.reconcile('default/web');
    // 5 % of a 50 % target wants 1 pod; the policy lets one pod go per 15 s.
    assert.deepEqual(scales.updates, [3]);
    assert.equal(f.events.events.at(-1)?.message, 'New size: 3; reason: All metrics below target');
  });

  it('refuses to act when another HPA selects the same pods (AmbiguousSelector)', async () => {
    const t = setup(hpa(), 2, fakeMetrics({ a: 150, b: 150 }));
    const twin = hpa();
    twin.metadata = { ...twin.metadata, name: 'twin', uid: 'twin-uid' };
    t.informers.get('horizontalpodautoscalers')!.upsert(twin);
    await t.c.reconcile('default/twin');
    assert.deepEqual(t.scales.updates, [4]);
    await t.c.reconcile('default/web');
    assert.deepEqual(t.scales.updates, [4]);
    const message = 'pods by selector app=web are controlled by multiple HPAs: [default/twin default/web]';
    assert.deepEqual(t.events.events.at(-2), { type: 'Warning', reason: 'AmbiguousSelector', message, name: 'web' });
    assert.deepEqual([t.condition('ScalingActive')?.reason, t.condition('ScalingActive')?.message], ['AmbiguousSelector', message]);
  });
});
