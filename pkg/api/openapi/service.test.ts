/** OpenAPI v3/v2 documents built from a hand-made resource table. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResourceDefinition } from '../types.ts';
import { customResourceSchemas } from './crd.ts';
import { OpenApiSchemas } from './resolver.ts';
import { OpenApiService, acceptsJson } from './service.ts';
import { SAMPLE_TABLE, crontabs } from './test-fixtures.ts';

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

function setup(table: ResourceDefinition[] = SAMPLE_TABLE) {
  const schemas = new OpenApiSchemas();
  const resources = [...table];
  const service = new OpenApiService({ resources: () => resources, schemas, serverVersion: 'v1.33.0' });
  return { schemas, resources, service };
}

async function doc(service: OpenApiService, path: string): Promise<Doc> {
  const body = await service.groupVersionDocument(path);
  assert.ok(body, `${path} is served`);
  return JSON.parse(body.body.toString()) as Doc;
}

/** What kubectl's QueryParamVerifierV3 does: find a PATCH op by its GVK, look at its own parameters. */
function supportsFieldValidation(d: Doc, gvk: { group: string; version: string; kind: string }): boolean {
  const patches = Object.values(d.paths).map((item) => item.patch).filter(Boolean);
  const forKind = patches.filter((op) => {
    const ext = op['x-kubernetes-group-version-kind'];
    return ext && !Array.isArray(ext) && ext.group === gvk.group && ext.version === gvk.version && ext.kind === gvk.kind;
  });
  return forKind.length > 0 && forKind.every((op) => op.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));
}

test('the index lists each group-version with a hash URL', () => {
  const { service } = setup();
  const index = JSON.parse(service.indexDocument().body.toString());
  assert.deepEqual(Object.keys(index.paths), ['api/v1', 'apis/apps/v1', 'apis/authorization.k8s.io/v1']);
  assert.match(index.paths['apis/apps/v1'].serverRelativeURL, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
});

test('kubectl finds fieldValidation on the PATCH operations of each kind', async () => {
  const { service } = setup();
  const apps = await doc(service, 'apis/apps/v1');
  assert.ok(supportsFieldValidation(apps, { group: 'apps', version: 'v1', kind: 'Deployment' }));
  const core = await doc(service, 'api/v1');
  assert.ok(supportsFieldValidation(core, { group: '', version: 'v1', kind: 'Pod' }));
  assert.ok(supportsFieldValidation(core, { group: '', version: 'v1', kind: 'Namespace' }));
  assert.ok(!supportsFieldValidation(core, { group: 'apps', version: 'v1', kind: 'Deployment' }));
});

test('operations, paths and parameters follow kube-apiserver', async () => {
  const { service } = setup();
  const apps = await doc(service, 'apis/apps/v1');
  const collection = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments']!;
  assert.equal(collection.get.operationId, 'listAppsV1NamespacedDeployment');
  assert.equal(collection.get['x-kubernetes-action'], 'list');
  assert.deepEqual(collection.parameters.map((p: { name: string }) => p.name), ['namespace', 'pretty']);
  assert.ok(collection.get.parameters.some((p: { name: string }) => p.name === 'labelSelector'));
  assert.equal(collection.post.operationId, 'createAppsV1NamespacedDeployment');
  assert.equal(collection.delete.operationId, 'deleteAppsV1CollectionNamespacedDeployment');
  const item = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!;
  assert.deepEqual(Object.keys(item).sort(), ['delete', 'get', 'parameters', 'patch', 'put']);
  assert.ok(item.patch.requestBody.content['application/strategic-merge-patch+json']);
  assert.ok(item.put.parameters.some((p: { name: string }) => p.name === 'dryRun'));
  const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']!;
  assert.deepEqual(scale.get['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.equal(scale.patch.operationId, 'patchAppsV1NamespacedDeploymentScale');
  assert.equal(apps.paths['/apis/apps/v1/deployments']!.get.operationId, 'listAppsV1DeploymentForAllNamespaces');
  assert.equal(apps.paths['/apis/apps/v1/watch/namespaces/{namespace}/deployments']!.get['x-kubernetes-action'], 'watchlist');
  const core = await doc(service, 'api/v1');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log']!.get.operationId, 'readCoreV1NamespacedPodLog');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction']!.post['x-kubernetes-group-version-kind'].group, 'policy');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec']!.get.operationId, 'connectCoreV1GetNamespacedPodExec');
  assert.equal(core.paths['/api/v1/namespaces/{name}']!.get.operationId, 'readCoreV1Namespace');
  assert.equal(core.paths['/api/v1/namespaces/{namespace}/pods/{name}']!.delete.responses['200'].content['application/json'].schema.$ref,
    '#/components/schemas/io.k8s.api.core.v1.Pod', 'graceful deletion answers the object');
  const authz = await doc(service, 'apis/authorization.k8s.io/v1');
  assert.deepEqual(Object.keys(authz.paths['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews']!).sort(), ['parameters', 'post']);
});

test('components hold every reachable definition, described, with allOf-wrapped field refs', async () => {
  const { service } = setup();
  const apps = await doc(service, 'apis/apps/v1');
  const names = Object.keys(apps.components.schemas);
  for (const ref of new Set(JSON.stringify(apps).match(/#\/components\/schemas\/[^"]+/g))) {
    assert.ok(names.includes(ref.slice('#/components/schemas/'.length)), `${ref} is in components`);
  }
  assert.ok(!names.includes('io.k8s.api.batch.v1.Job'), 'nothing unreachable');
  const deployment = apps.components.schemas['io.k8s.api.apps.v1.Deployment'];
  assert.match(deployment.description, /declarative updates/);
  assert.deepEqual(deployment['x-kubernetes-group-version-kind'], [{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
  const strategy = apps.components.schemas['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy;
  assert.deepEqual(strategy.allOf, [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy' }]);
  assert.equal(strategy['x-kubernetes-patch-strategy'], 'retainKeys');
  assert.equal(typeof strategy.description, 'string');
});

test("fields carry Kubernetes' own texts and enums, which client-node's models lose", async () => {
  const { service } = setup();
  const apps = (await doc(service, 'apis/apps/v1')).components.schemas;
  // A field referring to another type has its own description beside the allOf.
  const spec = apps['io.k8s.api.apps.v1.Deployment'].properties.spec;
  assert.deepEqual(spec.allOf, [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' }]);
  assert.equal(spec.description, 'Specification of the desired behavior of the Deployment.');
  assert.match(apps['io.k8s.api.apps.v1.RollingUpdateDeployment'].properties.maxSurge.description, /^The maximum number of pods that can be scheduled above/);
  assert.match(apps['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].description, /^Time is a wrapper around time.Time/);
  const core = (await doc(service, 'api/v1')).components.schemas;
  const pullPolicy = core['io.k8s.api.core.v1.Container'].properties.imagePullPolicy;
  assert.deepEqual(pullPolicy.enum, ['Always', 'IfNotPresent', 'Never']);
  assert.match(pullPolicy.description, /Cannot be updated\. More info: \S+\n\nPossible enum values:\n - `"Always"` means/);
  // Paragraph breaks survive (client-node folds them into spaces).
  assert.match(core['io.k8s.api.core.v1.PodSpec'].properties.os.description, /\n\n/);
  const accessModes = core['io.k8s.api.core.v1.PersistentVolumeClaimSpec'].properties.accessModes;
  assert.deepEqual(accessModes.items.enum, ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'], 'a list of an enum type');
  const swagger = JSON.parse((await service.v2({ accept: 'application/json' })).body!.toString());
  assert.deepEqual(swagger.definitions['io.k8s.api.apps.v1.Deployment'].properties.spec,
    { $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentSpec', description: 'Specification of the desired behavior of the Deployment.' });
});

test('hash requests are immutable; stale hashes redirect; protobuf is not acceptable', async () => {
  const { service } = setup();
  const url = JSON.parse(service.indexDocument().body.toString()).paths['apis/apps/v1'].serverRelativeURL as string;
  const hash = url.split('hash=')[1]!;
  const now = new Date('2025-01-01T00:00:00Z');
  const ok = await service.groupVersion('apis/apps/v1', { hash, accept: 'application/json', now });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['Cache-Control'], 'public, immutable');
  assert.equal(ok.headers.Expires, 'Thu, 01 Jan 2026 00:00:00 GMT');
  assert.equal(ok.headers.ETag, `"${hash}"`);
  assert.equal(ok.headers['Content-Type'], 'application/json');
  const plain = await service.groupVersion('apis/apps/v1', {});
  assert.equal(plain.headers['Cache-Control'], undefined);
  const stale = await service.groupVersion('apis/apps/v1', { hash: 'ABC' });
  assert.equal(stale.status, 301);
  assert.equal(stale.headers.Location, url);
  assert.equal((await service.groupVersion('apis/apps/v1', { ifNoneMatch: `"${hash}"` })).status, 304);
  assert.equal((await service.groupVersion('apis/apps/v1', { accept: 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf' })).status, 406);
  assert.equal((await service.groupVersion('apis/batch/v1', {})).status, 404);
  assert.ok(acceptsJson('application/json, */*') && acceptsJson(undefined) && !acceptsJson('application/json;q=0'));
});

test('table and custom schema changes rebuild documents under new hashes', async () => {
  const { service, schemas, resources } = setup();
  const hashBefore = JSON.parse(service.indexDocument().body.toString()).paths['api/v1'].serverRelativeURL;
  schemas.setCustom(customResourceSchemas({
    group: 'stable.example.com', version: 'v1', kind: 'CronTab', listKind: 'CronTabList', plural: 'crontabs',
    openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cron: { type: 'string' } } } } },
  }));
  resources.push(crontabs());
  service.invalidate();
  const index = JSON.parse(service.indexDocument().body.toString());
  assert.equal(index.paths['api/v1'].serverRelativeURL, hashBefore, 'unchanged group-versions keep their hash');
  const crd = await doc(service, 'apis/stable.example.com/v1');
  const item = crd.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}']!;
  assert.ok(!item.patch.requestBody.content['application/strategic-merge-patch+json'], 'no strategic merge for custom resources');
  assert.equal(item.patch.tags[0], 'stableExampleCom_v1');
  assert.equal(item.patch.operationId, 'patchStableExampleComV1NamespacedCronTab');
  assert.ok(supportsFieldValidation(crd, { group: 'stable.example.com', version: 'v1', kind: 'CronTab' }));
  assert.ok(crd.components.schemas['com.example.stable.v1.CronTab'].properties.spec);
  const firstHash = index.paths['apis/stable.example.com/v1'].serverRelativeURL;
  schemas.setCustom(customResourceSchemas({
    group: 'stable.example.com', version: 'v1', kind: 'CronTab', listKind: 'CronTabList', plural: 'crontabs',
    openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { image: { type: 'string' } } } } },
  }));
  const after = JSON.parse(service.indexDocument().body.toString());
  assert.notEqual(after.paths['apis/stable.example.com/v1'].serverRelativeURL, firstHash);
  assert.ok((await doc(service, 'apis/stable.example.com/v1')).components.schemas['com.example.stable.v1.CronTab'].properties.spec.properties.image);
});

test('swagger 2.0 is served as JSON or gnostic protobuf, by Accept', async () => {
  const { service } = setup();
  const proto = await service.v2({ accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' });
  assert.equal(proto.status, 200);
  assert.equal(proto.headers['Content-Type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  assert.deepEqual([...proto.body!.subarray(0, 5)], [0x0a, 3, ...Buffer.from('2.0')], 'field 1 (swagger) comes first');
  assert.ok(proto.body!.includes(Buffer.from('io.k8s.api.apps.v1.Deployment')));
  assert.equal((await service.v2({ accept: 'application/xml' })).status, 406);
  const reply = await service.v2({ accept: 'application/json' });
  assert.equal(reply.status, 200);
  const swagger = JSON.parse(reply.body!.toString());
  assert.equal(swagger.swagger, '2.0');
  const patch = swagger.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.equal(patch.parameters[0].in, 'body');
  assert.ok(patch.parameters.some((p: { name: string; type: string }) => p.name === 'fieldValidation' && p.type === 'string'));
  assert.deepEqual(swagger.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, 'string');
  assert.equal(swagger.definitions['io.k8s.api.apps.v1.DeploymentSpec'].properties.template.$ref, '#/definitions/io.k8s.api.core.v1.PodTemplateSpec');
  assert.ok(!JSON.stringify(swagger).includes('#/components/'));
});
