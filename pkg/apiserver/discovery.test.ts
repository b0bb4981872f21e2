import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResourceTable } from '../api/registry.ts';
import type { ResourceDefinition } from '../api/types.ts';
import { aggregatedVersion, compareGroups, Discovery, DISCOVERY_V2, DISCOVERY_V2BETA1, storageVersionHash } from './discovery.ts';

const VERBS: ResourceDefinition['verbs'] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(group: string, version: string, kind: string, plural: string, extra: Partial<ResourceDefinition> = {}): ResourceDefinition {
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced: true,
    verbs: VERBS,
    schema: `x.${kind}`,
    strategy: {},
    storagePath: plural,
    ...extra,
  };
}

const table = new ResourceTable([
  def('', 'v1', 'Pod', 'pods', { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'exec', 'binding', 'eviction', 'attach'] }),
  def('', 'v1', 'PodTemplate', 'podtemplates'),
  def('', 'v1', 'Namespace', 'namespaces', { namespaced: false, subresources: ['status', 'finalize'] }),
  def('apps', 'v1', 'Deployment', 'deployments', { subresources: ['status', 'scale'] }),
  def('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  def('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  def('example.com', 'v1', 'Widget', 'widgets', { storagePath: 'example.com/widgets' }),
  def('example.com', 'v1beta1', 'Widget', 'widgets', { storagePath: 'example.com/widgets', conversion: { toStored: (o) => o, fromStored: (o) => o } }),
  def('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
  def('batch', 'v1', 'Job', 'jobs'),
]);
const docs = new Discovery(table, () => '10.0.0.1:6443').docs();

describe('legacy discovery', () => {
  it('/api names v1 and the server address', () => {
    assert.deepEqual(JSON.parse(docs.api), { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }] });
  });

  it('/apis lists groups in kube-apiserver priority order, unknown (CRD) groups last', () => {
    const apis = JSON.parse(docs.apis);
    assert.equal(apis.kind, 'APIGroupList');
    assert.deepEqual(
      apis.groups.map((g: { name: string }) => g.name),
      ['apps', 'autoscaling', 'batch', 'rbac.authorization.k8s.io', 'coordination.k8s.io', 'example.com'],
    );
    const widgets = apis.groups.find((g: { name: string }) => g.name === 'example.com');
    assert.deepEqual(widgets.preferredVersion, { groupVersion: 'example.com/v1', version: 'v1' });
    assert.deepEqual(widgets.versions.map((v: { version: string }) => v.version), ['v1', 'v1beta1']);
  });

  it('orders groups of equal priority by name', () => {
    assert.ok(compareGroups('admissionregistration.k8s.io', 'apiextensions.k8s.io') < 0);
    assert.ok(compareGroups('a.example.com', 'b.example.com') < 0);
    assert.ok(compareGroups('zzz.k8s.io', 'apps') > 0);
  });

  it('lists resources then their subresources in byte order, as Kubernetes sorts paths', () => {
    const list = JSON.parse(docs.resourceLists.get('v1')!);
    assert.equal(list.groupVersion, 'v1');
    assert.deepEqual(
      list.resources.map((r: { name: string }) => r.name),
      ['namespaces', 'namespaces/finalize', 'namespaces/status', 'pods', 'pods/attach', 'pods/binding', 'pods/eviction', 'pods/exec', 'pods/log', 'pods/status', 'podtemplates'],
    );
    const pods = list.resources.find((r: { name: string }) => r.name === 'pods');
    assert.deepEqual(pods, { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: VERBS, shortNames: ['po'], categories: ['all'], storageVersionHash: 'xPOwRZ+Yhw8=' });
    const eviction = list.resources.find((r: { name: string }) => r.name === 'pods/eviction');
    assert.deepEqual(eviction, { name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    const binding = list.resources.find((r: { name: string }) => r.name === 'pods/binding');
    assert.equal(binding.group, undefined, 'core subresource kinds carry no group');
  });

  it('names the scale kind autoscaling/v1 Scale', () => {
    const list = JSON.parse(docs.resourceLists.get('apps/v1')!);
    const scale = list.resources.find((r: { name: string }) => r.name === 'deployments/scale');
    assert.deepEqual(scale, { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    assert.equal(list.resources[0].storageVersionHash, '8aSe+NMegvE=');
  });

  it('hashes the stored version for every version served from one storage path', () => {
    const v1 = JSON.parse(docs.resourceLists.get('example.com/v1')!).resources[0];
    const beta = JSON.parse(docs.resourceLists.get('example.com/v1beta1')!).resources[0];
    assert.equal(beta.storageVersionHash, v1.storageVersionHash);
    assert.equal(v1.storageVersionHash, storageVersionHash({ group: 'example.com', version: 'v1', kind: 'Widget' }));
  });
});

describe('aggregated discovery', () => {
  it('is chosen by the Accept header', () => {
    assert.equal(aggregatedVersion(DISCOVERY_V2), 'v2');
    // What kubectl 1.27–1.29 and 1.30+ send.
    assert.equal(aggregatedVersion(`${DISCOVERY_V2BETA1},application/json`), 'v2beta1');
    assert.equal(aggregatedVersion(`${DISCOVERY_V2},${DISCOVERY_V2BETA1},application/json`), 'v2');
    assert.equal(aggregatedVersion('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'), 'v2');
    assert.equal(aggregatedVersion('application/json'), undefined);
    assert.equal(aggregatedVersion(undefined), undefined);
  });

  it('lists the core group under /api and the others under /apis in priority order, subresources sorted', () => {
    const api = JSON.parse(docs.aggregated.v2.api);
    assert.equal(api.apiVersion, 'apidiscovery.k8s.io/v2');
    const core = api.items[0].versions[0];
    assert.equal(core.version, 'v1');
    const pods = core.resources.find((r: { resource: string }) => r.resource === 'pods');
    assert.equal(pods.scope, 'Namespaced');
    assert.deepEqual(pods.subresources.map((s: { subresource: string }) => s.subresource), ['attach', 'binding', 'eviction', 'exec', 'log', 'status']);
    const apis = JSON.parse(docs.aggregated.v2beta1.apis);
    assert.equal(apis.apiVersion, 'apidiscovery.k8s.io/v2beta1');
    assert.deepEqual(apis.items, JSON.parse(docs.aggregated.v2.apis).items, 'v2beta1 has the shape of v2');
    assert.deepEqual(apis.items.map((i: { metadata: { name: string } }) => i.metadata.name), ['apps', 'autoscaling', 'batch', 'rbac.authorization.k8s.io', 'coordination.k8s.io', 'example.com']);
  });
});
