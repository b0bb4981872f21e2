import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KObject, UserInfo } from '../../api/types.ts';
import { NodeAuthorizer, podReferences } from './authorizer.ts';
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
const nodes = new NodeAuthorizer({
  podsOnNode: (name) => (name === 'n1' ? [web] : []),
  getPersistentVolumeClaim: (ns, name) => (ns === 'shop' && name === 'web-data' ? { metadata: { name }, spec: { volumeName: 'pv-1' } } : undefined),
});
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
    assert.equal(nodes.authorize(req(n1, 'delete', 'secrets', { namespace: 'shop', name: 'db-password' })).reason, 'can only read resources of this type');
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
