/** The patch kinds against the generated built-in schemas (pkg/api/openapi), not hand-made ones. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenApiSchemas } from '../../../api/openapi/resolver.ts';
import type { KObject } from '../../../api/types.ts';
import { applyStrategicMergePatch } from '../strategic/merge.ts';
import type { JsonObject } from '../json.ts';
import { serverSideApply } from './field-manager.ts';

const resolver = new OpenApiSchemas();
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

const deployment = (containers: JsonObject[], replicas = 2): KObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers } } },
});

test('strategic merge on a real Deployment merges containers by name and env by name', () => {
  const live = deployment([{ name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }] }, { name: 'side', image: 'side:1' }]);
  const out = applyStrategicMergePatch(live as JsonObject, { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'B', value: '2' }] }] } } } }, DEPLOYMENT, resolver);
  // Without $setElementOrder an item new to the list lands before the live-only ones, as in Kubernetes.
  assert.deepEqual((out as KObject).spec.template.spec.containers, [
    { name: 'app', image: 'app:2', env: [{ name: 'B', value: '2' }, { name: 'A', value: '1' }] },
    { name: 'side', image: 'side:1' },
  ]);
});

test('server-side apply on a real Deployment keys ports by containerPort and protocol', () => {
  const result = serverSideApply({
    manager: 'kubectl', force: false, now: new Date('2024-01-01T00:00:00Z'), schemaName: DEPLOYMENT, resolver, apiVersion: 'apps/v1', kind: 'Deployment',
    applied: deployment([{ name: 'app', image: 'app:1', ports: [{ containerPort: 80 }] }]),
  });
  assert.ok('object' in result);
  const fields = JSON.stringify(result.object.metadata.managedFields![0]!.fieldsV1);
  assert.match(fields, /"f:selector":\{\}/, 'LabelSelector is an atomic map');
  assert.match(fields, /"k:\{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"\}":\{"\.":\{\},"f:containerPort":\{\}\}/);
});
