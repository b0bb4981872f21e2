/** The generated built-in schemas and the resolver over them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SchemaNode } from '../schema.ts';
import { customResourceDefinitionName, customResourceSchemas } from './crd.ts';
import { OpenApiSchemas, builtinDefinitions, builtinDescriptions } from './resolver.ts';

const schemas = new OpenApiSchemas();
const def = (name: string): SchemaNode => {
  const node = schemas.definition(name);
  assert.ok(node, `${name} is defined`);
  return node;
};
const prop = (name: string, field: string): SchemaNode => {
  const node = def(name).properties?.[field];
  assert.ok(node, `${name}.${field} exists`);
  return node;
};

test('Pod: kind extension, required fields, merge keys and list types', () => {
  assert.deepEqual(def('io.k8s.api.core.v1.Pod')['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Pod' }]);
  assert.deepEqual(def('io.k8s.api.core.v1.PodList')['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'PodList' }]);
  assert.deepEqual(def('io.k8s.api.core.v1.PodSpec').required, ['containers']);
  const containers = prop('io.k8s.api.core.v1.PodSpec', 'containers');
  assert.equal(containers.type, 'array');
  assert.equal(containers.items?.$ref, '#/components/schemas/io.k8s.api.core.v1.Container');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-list-type'], 'map');
  assert.deepEqual(containers['x-kubernetes-list-map-keys'], ['name']);
  const volumes = prop('io.k8s.api.core.v1.PodSpec', 'volumes');
  assert.equal(volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'tolerations')['x-kubernetes-list-type'], 'atomic');
  assert.equal(prop('io.k8s.api.core.v1.PodSpec', 'nodeSelector')['x-kubernetes-map-type'], 'atomic');
  const ports = prop('io.k8s.api.core.v1.Container', 'ports');
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(prop('io.k8s.api.core.v1.Container', 'env')['x-kubernetes-patch-merge-key'], 'name');
  assert.deepEqual(prop('io.k8s.api.core.v1.ContainerPort', 'containerPort'), { type: 'integer', format: 'int32' });
  const limits = prop('io.k8s.api.core.v1.ResourceRequirements', 'limits');
  assert.equal(limits.additionalProperties && typeof limits.additionalProperties === 'object' && limits.additionalProperties.$ref,
    '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity');
});

test('Deployment and Service ports', () => {
  assert.deepEqual(def('io.k8s.api.apps.v1.Deployment')['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  assert.equal(prop('io.k8s.api.apps.v1.DeploymentSpec', 'strategy')['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.deepEqual(def('io.k8s.api.apps.v1.DeploymentSpec').required, ['selector', 'template']);
  assert.equal(prop('io.k8s.api.apps.v1.DeploymentStatus', 'conditions')['x-kubernetes-patch-merge-key'], 'type');
  const ports = prop('io.k8s.api.core.v1.ServiceSpec', 'ports');
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'port');
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  assert.deepEqual(def('io.k8s.api.core.v1.ServicePort').required, ['port']);
  assert.equal(prop('io.k8s.api.core.v1.ServicePort', 'targetPort').$ref, '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString');
  assert.equal(def('io.k8s.apimachinery.pkg.util.intstr.IntOrString').format, 'int-or-string');
  assert.deepEqual(def('io.k8s.apimachinery.pkg.util.intstr.IntOrString').oneOf, [{ type: 'integer' }, { type: 'string' }]);
});

test('ObjectMeta, meta kinds and apimachinery types', () => {
  const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
  assert.equal(prop(meta, 'finalizers')['x-kubernetes-patch-strategy'], 'merge');
  assert.equal(prop(meta, 'finalizers')['x-kubernetes-list-type'], 'set');
  assert.equal(prop(meta, 'ownerReferences')['x-kubernetes-patch-merge-key'], 'uid');
  assert.equal(prop(meta, 'creationTimestamp').$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time');
  assert.deepEqual(def('io.k8s.apimachinery.pkg.apis.meta.v1.Time'), { type: 'string', format: 'date-time' });
  assert.equal(def('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector')['x-kubernetes-map-type'], 'atomic');
  assert.equal(prop('io.k8s.api.core.v1.Event', 'eventTime').$ref, '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime');
  assert.equal(prop('io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent', 'object').$ref, '#/components/schemas/io.k8s.apimachinery.pkg.runtime.RawExtension');
  const deleteKinds = def('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions')['x-kubernetes-group-version-kind'] ?? [];
  assert.ok(deleteKinds.some((k) => k.group === 'apps' && k.kind === 'DeleteOptions'));
  assert.deepEqual(def('io.k8s.api.autoscaling.v1.Scale')['x-kubernetes-group-version-kind'], [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }]);
  assert.deepEqual(def('io.k8s.api.authentication.v1.TokenRequest')['x-kubernetes-group-version-kind'], [{ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }]);
  assert.ok(def('io.k8s.api.core.v1.TopologySelectorTerm'), 'core types only storage uses stay in core');
});

test('every $ref in the built-in data resolves', () => {
  const all = builtinDefinitions();
  const refs = JSON.stringify(all).match(/"\$ref":"[^"]+"/g) ?? [];
  for (const ref of new Set(refs)) {
    const name = ref.slice('"$ref":"#/components/schemas/'.length, -1);
    assert.ok(all[name], `${name} is defined`);
  }
  assert.ok(Object.keys(all).length > 400);
});

test('descriptions load lazily and cover types and fields', async () => {
  const docs = await builtinDescriptions();
  assert.match(docs['io.k8s.api.apps.v1.Deployment']![''] ?? '', /declarative updates for Pods/);
  assert.match(docs['io.k8s.api.apps.v1.DeploymentSpec']!.replicas ?? '', /Number of desired pods/);
});

test('resolve follows $ref and allOf, keeping the field-level keys', () => {
  const strategy = schemas.resolve(prop('io.k8s.api.apps.v1.DeploymentSpec', 'strategy'));
  assert.ok(strategy.properties?.rollingUpdate, 'resolved to DeploymentStrategy');
  assert.equal(strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.equal(def('io.k8s.api.apps.v1.DeploymentStrategy')['x-kubernetes-patch-strategy'], undefined, 'definition untouched');
  const wrapped = schemas.resolve({ allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }], description: 'd' });
  assert.equal(wrapped.description, 'd');
  assert.ok(wrapped.properties?.containers);
  const plain = { $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' };
  assert.equal(schemas.resolve(plain), def('io.k8s.api.core.v1.PodSpec'), 'no copy without field-level keys');
  assert.deepEqual(schemas.resolve({ $ref: '#/components/schemas/nope' }), { $ref: '#/components/schemas/nope' });
});

test('custom definitions come and go, and announce changes', () => {
  const local = new OpenApiSchemas();
  let changes = 0;
  local.onChange(() => changes++);
  const before = local.fingerprint();
  const defs = customResourceSchemas({
    group: 'stable.example.com', version: 'v1', kind: 'CronTab', listKind: 'CronTabList', plural: 'crontabs',
    openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cron: { type: 'string' } } } } },
  });
  assert.equal(customResourceDefinitionName('stable.example.com', 'v1', 'CronTab'), 'com.example.stable.v1.CronTab');
  local.setCustom(defs);
  assert.equal(changes, 1);
  assert.notEqual(local.fingerprint(), before);
  const kind = local.definition('com.example.stable.v1.CronTab')!;
  assert.ok(local.isCustom('com.example.stable.v1.CronTab'));
  assert.deepEqual(kind['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }]);
  assert.ok(local.resolve(kind.properties!.metadata!).properties?.name, 'metadata resolves to ObjectMeta');
  assert.equal(local.resolve(local.definition('com.example.stable.v1.CronTabList')!.properties!.items!.items!), kind);
  local.removeCustom(Object.keys(defs));
  assert.equal(local.definition('com.example.stable.v1.CronTab'), undefined);
  assert.equal(changes, 2);
});
