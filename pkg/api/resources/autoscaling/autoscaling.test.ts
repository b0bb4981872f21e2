import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { create } from '../test-helpers.ts';
import { horizontalpodautoscalersV2 } from './hpa.ts';
import { BEHAVIOR_ANNOTATION, hpaV1ToV2, hpaV2ToV1, horizontalpodautoscalersV1, METRIC_SPECS_ANNOTATION } from './v1.ts';

const strategy = horizontalpodautoscalersV2.strategy;
const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

test('an HPA without metrics targets 80% CPU; behavior gets filled in', () => {
  const hpa: KObject = { metadata: { name: 'web', namespace: 'default' }, spec: { scaleTargetRef: target, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } };
  const { obj, errors } = create(strategy, hpa);
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.minReplicas, 1);
  assert.deepEqual(obj.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  assert.deepEqual(obj.spec.behavior.scaleUp.policies, [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ]);
  assert.deepEqual(obj.spec.behavior.scaleDown, { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  assert.deepEqual(obj.status, { desiredReplicas: 0 });
});

test('HPA validation: replica bounds, target reference, metric sources', () => {
  const hpa: KObject = {
    metadata: { name: 'web' },
    spec: {
      scaleTargetRef: { kind: 'Deployment' },
      minReplicas: 3,
      maxReplicas: 2,
      metrics: [
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization' } } },
        { type: 'Pods', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
    },
  };
  assert.deepEqual(create(strategy, hpa).errors, [
    'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
    'spec.scaleTargetRef.name: Required value',
    'spec.metrics[0].resource.target.averageUtilization: Required value: must set either a target raw value or a target utilization',
    'spec.metrics[1].pods: Required value: must populate information for the given metric source',
  ]);
});

test('v1 is a view of v2: the CPU target maps to targetCPUUtilizationPercentage', () => {
  const v1: KObject = {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: { scaleTargetRef: target, minReplicas: 2, maxReplicas: 5, targetCPUUtilizationPercentage: 60 },
    status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 70 },
  };
  const v2 = hpaV1ToV2(v1);
  assert.equal(v2.apiVersion, 'autoscaling/v2');
  assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
  assert.deepEqual(v2.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70 } } }]);
  const back = hpaV2ToV1(v2);
  assert.equal(back.metadata.annotations?.['autoscaling.alpha.kubernetes.io/current-metrics'], '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":70}}]');
  delete back.metadata.annotations;
  assert.deepEqual(back, v1);
});

test('v1 without a CPU target means 80%, as the v1 controller always assumed', () => {
  const v2 = hpaV1ToV2({ metadata: { name: 'x' }, spec: { scaleTargetRef: target, maxReplicas: 3 } });
  assert.equal(v2.spec.metrics[0].resource.target.averageUtilization, 80);
});

test('what v1 cannot express survives a round trip through annotations', () => {
  const v2: KObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', annotations: { keep: 'me' } },
    spec: {
      scaleTargetRef: target,
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '500Mi' } } },
        { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
        { type: 'External', external: { metric: { name: 'queue', selector: { matchLabels: { q: 'a' } } }, target: { type: 'Value', value: '30' } } },
      ],
      behavior: { scaleUp: { selectPolicy: 'Min', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
    },
    status: { desiredReplicas: 1, conditions: [{ type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' }] },
  };
  const v1 = hpaV2ToV1(v2);
  assert.equal(v1.spec.targetCPUUtilizationPercentage, undefined);
  assert.deepEqual(JSON.parse(v1.metadata.annotations![METRIC_SPECS_ANNOTATION]!)[0], { type: 'Resource', resource: { name: 'memory', targetAverageValue: '500Mi' } });
  assert.ok(v1.metadata.annotations![BEHAVIOR_ANNOTATION]);
  assert.deepEqual(hpaV1ToV2(v1), { ...v2, status: { ...v2.status } });
  assert.equal(horizontalpodautoscalersV1.conversion?.toStored, hpaV1ToV2);
  assert.equal(horizontalpodautoscalersV1.storagePath, horizontalpodautoscalersV2.storagePath);
});
