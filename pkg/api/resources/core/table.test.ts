import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coreResources } from './index.ts';

test('the core table lists what Kubernetes discovery lists', () => {
  const table = coreResources({ serviceCidr: '10.43.0.0/16', nodePortRange: '30000-32767' });
  const byPlural = new Map(table.map((d) => [d.plural, d]));
  const expect: [string, string, boolean, string[], string[], string][] = [
    ['pods', 'Pod', true, ['po'], ['all'], 'pods'],
    ['services', 'Service', true, ['svc'], ['all'], 'services/specs'],
    ['configmaps', 'ConfigMap', true, ['cm'], [], 'configmaps'],
    ['namespaces', 'Namespace', false, ['ns'], [], 'namespaces'],
    ['nodes', 'Node', false, ['no'], [], 'minions'],
    ['serviceaccounts', 'ServiceAccount', true, ['sa'], [], 'serviceaccounts'],
    ['persistentvolumeclaims', 'PersistentVolumeClaim', true, ['pvc'], [], 'persistentvolumeclaims'],
    ['persistentvolumes', 'PersistentVolume', false, ['pv'], [], 'persistentvolumes'],
    ['events', 'Event', true, ['ev'], [], 'events'],
    ['endpoints', 'Endpoints', true, ['ep'], [], 'services/endpoints'],
    ['limitranges', 'LimitRange', true, ['limits'], [], 'limitranges'],
    ['resourcequotas', 'ResourceQuota', true, ['quota'], [], 'resourcequotas'],
    ['replicationcontrollers', 'ReplicationController', true, ['rc'], ['all'], 'controllers'],
    ['secrets', 'Secret', true, [], [], 'secrets'],
    ['podtemplates', 'PodTemplate', true, [], [], 'podtemplates'],
  ];
  for (const [plural, kind, namespaced, shortNames, categories, storagePath] of expect) {
    const d = byPlural.get(plural);
    assert.ok(d, plural);
    assert.equal(d.kind, kind);
    assert.equal(d.group, '');
    assert.equal(d.version, 'v1');
    assert.equal(d.namespaced, namespaced, plural);
    assert.deepEqual(d.shortNames ?? [], shortNames, plural);
    assert.deepEqual(d.categories ?? [], categories, plural);
    assert.equal(d.storagePath, storagePath);
    assert.equal(d.schema, `io.k8s.api.core.v1.${kind}`);
    assert.equal(d.listKind, kind === 'Endpoints' ? 'EndpointsList' : `${kind}List`);
  }
  assert.equal(byPlural.get('endpoints')!.singular, 'endpoints');
  assert.deepEqual(byPlural.get('namespaces')!.verbs, ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
  assert.deepEqual(byPlural.get('bindings')!.verbs, ['create']);
  assert.equal(byPlural.get('bindings')!.virtual, true);
  assert.deepEqual(byPlural.get('replicationcontrollers')!.scale, { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' });
  assert.deepEqual(Object.keys(byPlural.get('events')!.fieldSelectors!).sort(), [
    'involvedObject.apiVersion', 'involvedObject.fieldPath', 'involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace',
    'involvedObject.resourceVersion', 'involvedObject.uid', 'reason', 'reportingComponent', 'source', 'type',
  ]);
  assert.equal(byPlural.get('nodes')!.fieldSelectors!['spec.unschedulable']!({ metadata: {}, spec: { unschedulable: true } }), 'true');
  assert.equal(byPlural.get('secrets')!.fieldSelectors!['type']!({ metadata: {}, type: 'kubernetes.io/tls' }), 'kubernetes.io/tls');
});
