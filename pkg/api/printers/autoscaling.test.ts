import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatHpaTargets, horizontalPodAutoscalerPrinter, podDisruptionBudgetPrinter, scalePrinter } from './autoscaling.ts';
import { ago, now } from './testing.ts';

const metadata = { name: 'web', creationTimestamp: ago(3600 * 10) };
const scaleTargetRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

test('HPA v2 with CPU utilisation and memory value targets', () => {
  const hpa = {
    metadata,
    spec: {
      scaleTargetRef,
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '0.5Gi' } } },
      ],
    },
    status: {
      currentReplicas: 3,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45, averageValue: '90m' } } },
        { type: 'Resource', resource: { name: 'memory', current: { averageValue: '200Mi' } } },
      ],
    },
  };
  assert.deepEqual(
    horizontalPodAutoscalerPrinter.columns.map((c) => c.name),
    ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age'],
  );
  assert.deepEqual(horizontalPodAutoscalerPrinter.row(hpa, now), [
    'web',
    'Deployment/web',
    'cpu: 45%/80%, memory: 200Mi/512Mi',
    '2',
    10,
    3,
    '10h',
  ]);
});

test('HPA targets before metrics arrive, and more than two metrics', () => {
  const waiting = { metadata, spec: { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { averageUtilization: 50 } } }] } };
  assert.equal(formatHpaTargets(waiting), 'cpu: <unknown>/50%');
  const many = {
    metadata,
    spec: {
      metrics: [
        { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '100' } } },
        { type: 'Object', object: { metric: { name: 'hits' }, target: { type: 'Value', value: '10k' } } },
        { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } } },
      ],
    },
    status: { currentMetrics: [{ type: 'Pods', pods: { current: { averageValue: '250m' } } }] },
  };
  assert.equal(formatHpaTargets(many), '250m/100, <unknown>/10k + 1 more...');
  assert.equal(formatHpaTargets({ metadata, spec: {} }), '<none>');
  assert.equal(formatHpaTargets({ metadata, spec: { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: {} } }] } }), 'cpu: <unknown>/<auto>');
});

test('HPA autoscaling/v1 shape reads as its v2 conversion', () => {
  const v1 = {
    metadata,
    spec: { scaleTargetRef, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
    status: { currentReplicas: 1, currentCPUUtilizationPercentage: 12 },
  };
  assert.deepEqual(horizontalPodAutoscalerPrinter.row(v1, now).slice(2, 6), ['cpu: 12%/70%', '<unset>', 5, 1]);
});

test('PodDisruptionBudget: MIN AVAILABLE, MAX UNAVAILABLE, ALLOWED DISRUPTIONS', () => {
  assert.deepEqual(podDisruptionBudgetPrinter.row({ metadata, spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } }, now), [
    'web',
    '2',
    'N/A',
    1,
    '10h',
  ]);
  assert.deepEqual(podDisruptionBudgetPrinter.row({ metadata, spec: { maxUnavailable: '25%' } }, now).slice(1, 4), ['N/A', '25%', 0]);
});

test('Scale subresource: DESIRED and AVAILABLE, Name without the name format', () => {
  const scale = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata, spec: { replicas: 5 }, status: { replicas: 3, selector: 'app=web' } };
  assert.deepEqual(scalePrinter.row(scale, now), ['web', 5, 3, '10h']);
  assert.deepEqual([scalePrinter.columns[0].name, scalePrinter.columns[0].format], ['Name', '']);
});
