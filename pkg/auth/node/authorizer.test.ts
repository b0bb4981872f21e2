import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KObject, UserInfo } from '../../api/types.ts';
import { NodeAuthorizer } from './authorizer.ts';
import { PodGraph, podReferences } from './graph.ts';
import type { Attributes } from '../rbac/types.ts';

const web: KObject = {
  metadata: { namespace: 'shop', name: 'web' },
  spec: {
    nodeName: 'n1',
    serviceAccountName: 'web-sa',
    imagePullSecrets: [{ name: 'registry' }],
    volumes: [
      { name: 'cfg', configMap: { name: 'web-config' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'web-data' } },
      { name: 'tok', projected: { sources: [{ secret: { name: 'projected-secret' } }] } },
    ],
    containers: [{ name: 'c', env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'db-password', key: 'pw' } } }], envFrom: [{ configMapRef: { name: 'env-config' } }] }],
  },
};
const graph = new PodGraph();
graph.reset([web]);
const nodes = new NodeAuthorizer({
  pods: graph,
  getPersistentVolumeClaim: (ns, name) => (ns === 'shop' && name === 'web-data' ? { metadata: { name }, spec: { volumeName: 'pv-1' } } : undefined),
  getPersistentVolume: (name) => localPathVolumes.find((v) => v.metadata.name === name),
});
const localPathVolume = (name: string, node: string, phase: string): KObject => ({
  metadata: { name, annotations: { 'pv.kubernetes.io/provisioned-by': 'tsk.io/local-path' } },
  spec: { persistentVolumeReclaimPolicy: 'Delete', nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } },
  status: { phase },
});
const localPathVolumes = [localPathVolume('released-n1', 'n1', 'Released'), localPathVolume('bound-n1', 'n1', 'Bound')];
const n1: UserInfo = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const n2: UserInfo = { username: 'system:node:n2', groups: ['system:nodes', 'system:authenticated'] };
const req = (user: UserInfo, verb: string, resource: string, extra: Partial<Attributes> = {}): Attributes => ({ user, verb, resourceRequest: true, apiGroup: '', resource, ...extra });

describe('NodeAuthorizer', () => {
  test('finds every reference of a pod', () => {
    const refs = podReferences(web).refs;
    assert.deepEqual([...refs.secrets].sort(), ['db-password', 'projected-secret', 'registry']);
    assert.deepEqual([...refs.configmaps].sort(), ['env-config', 'web-config']);
    assert.deepEqual([...refs.persistentvolumeclaims], ['web-data']);
  });

  test('secrets and configmaps only when a pod on the node references them', () => {
    assert.equal(nodes.authorize(req(n1, 'get', 'secrets', { namespace: 'shop', name: 'db-password' })).decision, 'allow');
    assert.deepEqual(nodes.authorize(req(n2, 'get', 'secrets', { namespace: 'shop', name: 'db-password' })), {
      decision: 'no-opinion',
      reason: "no relationship found between node 'n2' and this object",
    });
    assert.equal(nodes.authorize(req(n1, 'get', 'configmaps', { namespace: 'shop', name: 'web-config' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n1, 'list', 'secrets', { namespace: 'shop' })).reason, 'can only get individual resources of this type');
    // A list or watch pinned by fieldSelector=metadata.name (RequestInfo gives it as the name).
    assert.equal(nodes.authorize(req(n1, 'watch', 'secrets', { namespace: 'shop', name: 'db-password' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n1, 'get', 'secrets', { namespace: 'other', name: 'db-password' })).decision, 'no-opinion');
    assert.equal(nodes.authorize(req(n1, 'delete', 'secrets', { namespace: 'shop', name: 'db-password' })).reason, 'can only read resources of this type');
  });

  test('local-path volumes: every node may watch volumes, and delete only the Released local-path ones of its own', () => {
    assert.equal(nodes.authorize(req(n2, 'watch', 'persistentvolumes')).decision, 'allow');
    assert.equal(nodes.authorize(req(n1, 'delete', 'persistentvolumes', { name: 'released-n1' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n2, 'delete', 'persistentvolumes', { name: 'released-n1' })).decision, 'no-opinion');
    assert.equal(nodes.authorize(req(n1, 'delete', 'persistentvolumes', { name: 'bound-n1' })).decision, 'no-opinion');
    assert.equal(nodes.authorize(req(n1, 'delete', 'persistentvolumes', { name: 'pv-1' })).decision, 'no-opinion');
    assert.equal(nodes.authorize(req(n1, 'update', 'persistentvolumes', { name: 'released-n1' })).decision, 'no-opinion');
  });

  test('volumes through the claims of its pods; tokens for its pods service accounts', () => {
    assert.equal(nodes.authorize(req(n1, 'get', 'persistentvolumes', { name: 'pv-1' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n1, 'get', 'persistentvolumes', { name: 'pv-2' })).decision, 'no-opinion');
    assert.equal(nodes.authorize(req(n1, 'create', 'serviceaccounts', { subresource: 'token', namespace: 'shop', name: 'web-sa' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n1, 'create', 'serviceaccounts', { subresource: 'token', namespace: 'shop', name: 'default' })).decision, 'no-opinion');
  });

  test('its own lease and node, the status of its own pods', () => {
    const lease = (user: UserInfo, name: string) => nodes.authorize(req(user, 'update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name }));
    assert.equal(lease(n1, 'n1').decision, 'allow');
    assert.equal(lease(n1, 'n2').reason, 'can only access node lease with the same name as the requesting node');
    assert.equal(nodes.authorize(req(n1, 'patch', 'nodes', { subresource: 'status', name: 'n1' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n1, 'patch', 'nodes', { name: 'n2' })).decision, 'no-opinion');
    assert.equal(nodes.authorize(req(n1, 'patch', 'pods', { subresource: 'status', namespace: 'shop', name: 'web' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n2, 'patch', 'pods', { subresource: 'status', namespace: 'shop', name: 'web' })).decision, 'no-opinion');
    assert.equal(nodes.authorize(req(n1, 'watch', 'pods', {})).decision, 'allow');
    assert.equal(nodes.authorize(req(n1, 'create', 'events', { namespace: 'shop' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n1, 'delete', 'deployments', { apiGroup: 'apps', namespace: 'shop' })).decision, 'no-opinion');
  });

  test('non-nodes are not its business; a node user without a node name is refused', () => {
    assert.deepEqual(nodes.authorize(req({ username: 'bob', groups: [] }, 'get', 'secrets', { namespace: 'shop', name: 'x' })), { decision: 'no-opinion', reason: '' });
    assert.equal(nodes.authorize(req({ username: 'node', groups: ['system:nodes'] }, 'get', 'pods')).reason, 'unknown node for user "node"');
  });
});

describe('NodeAuthorizer on its own pods', () => {
  test('get, delete, status and eviction of a pod only on the node it is bound to; lists stay open', () => {
    const pod = (user: UserInfo, verb: string, subresource = '') => nodes.authorize(req(user, verb, 'pods', { namespace: 'shop', name: 'web', subresource }));
    for (const [verb, sub] of [['get', ''], ['delete', ''], ['update', 'status'], ['create', 'eviction']]) {
      assert.equal(pod(n1, verb!, sub).decision, 'allow', `${verb} ${sub}`);
      assert.equal(pod(n2, verb!, sub).reason, "no relationship found between node 'n2' and this object", `${verb} ${sub}`);
    }
    assert.equal(nodes.authorize(req(n2, 'list', 'pods', { namespace: 'shop' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n2, 'update', 'pods', { namespace: 'shop', name: 'web' })).decision, 'no-opinion');
  });

  test('reads of services, nodes and endpointslices; no writes to them', () => {
    assert.equal(nodes.authorize(req(n2, 'watch', 'services', {})).decision, 'allow');
    assert.equal(nodes.authorize(req(n2, 'get', 'nodes', { name: 'n1' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n2, 'list', 'endpointslices', { apiGroup: 'discovery.k8s.io' })).decision, 'allow');
    assert.equal(nodes.authorize(req(n2, 'create', 'endpointslices', { apiGroup: 'discovery.k8s.io', namespace: 'shop' })).decision, 'no-opinion');
    assert.equal(nodes.authorize(req(n2, 'delete', 'services', { namespace: 'shop', name: 'x' })).decision, 'no-opinion');
  });
});

describe('PodGraph', () => {
  const pod = (name: string, nodeName: string | undefined, secret: string): KObject => ({
    metadata: { namespace: 'ns', name },
    spec: { nodeName, volumes: [{ name: 'v', secret: { secretName: secret } }], containers: [{ name: 'c' }] },
  });

  test('follows binding, moves and deletion, counting pods that share a reference', () => {
    const g = new PodGraph();
    g.apply(undefined, pod('a', undefined, 's'));
    assert.equal(g.references('n1', 'secrets', 'ns', 's'), false, 'an unbound pod gives no node anything');
    g.apply(pod('a', undefined, 's'), pod('a', 'n1', 's'));
    g.apply(undefined, pod('b', 'n1', 's'));
    assert.equal(g.hasPod('n1', 'ns', 'a'), true);
    g.apply(pod('a', 'n1', 's'), undefined);
    assert.equal(g.references('n1', 'secrets', 'ns', 's'), true, 'pod b still uses it');
    g.apply(pod('b', 'n1', 's'), pod('b', 'n1', 't'));
    assert.equal(g.references('n1', 'secrets', 'ns', 's'), false);
    assert.equal(g.references('n1', 'secrets', 'ns', 't'), true);
    assert.equal(g.hasPod('n1', 'ns', 'a'), false);
    g.reset([pod('c', 'n2', 'u')]);
    assert.equal(g.references('n1', 'secrets', 'ns', 't'), false);
    assert.deepEqual([...g.claimsOn('n2')], []);
    assert.equal(g.hasPod('n2', 'ns', 'c'), true);
  });
});
