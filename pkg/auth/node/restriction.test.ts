import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceTable } from '../../api/registry.ts';
import { builtinResources } from '../../api/resources/index.ts';
import type { KObject, StrategyContext, UserInfo } from '../../api/types.ts';
import { ApiError } from '../../apiserver/errors.ts';
import { kubeletMaySetLabel, nodeRestrictionAdmission } from './restriction.ts';

const table = new ResourceTable(builtinResources({ serviceCidr: '10.43.0.0/16', nodePortRange: [30000, 32767] }));
const nodesDef = table.get('', 'v1', 'nodes')!;
const podsDef = table.get('', 'v1', 'pods')!;
const leasesDef = table.get('coordination.k8s.io', 'v1', 'leases')!;
const n1: UserInfo = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const ctx = (user: UserInfo, subresource = ''): StrategyContext => ({ user, now: new Date(), dryRun: false, subresource });
const admit = nodeRestrictionAdmission();

/** The 403 message of a refused write, or undefined when admitted. */
function refusal(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 403);
    return err.message;
  }
}

const node = (name: string, labels: Record<string, string> = {}, taints: unknown[] = []): KObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: { taints } });

describe('NodeRestriction', () => {
  test('a node creates and changes only its own Node', () => {
    assert.equal(refusal(() => admit(nodesDef, node('n1'), undefined, ctx(n1))), undefined);
    assert.equal(refusal(() => admit(nodesDef, node('n2'), undefined, ctx(n1))), 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    assert.match(refusal(() => admit(nodesDef, node('n2'), node('n2'), ctx(n1, 'status')))!, /not allowed to modify node "n2"/);
  });

  test('labels: its own kubelet labels yes, kubernetes.io roles and node-restriction labels no', () => {
    assert.equal(refusal(() => admit(nodesDef, node('n1', { 'kubernetes.io/hostname': 'n1', disk: 'ssd', 'node.kubernetes.io/instance-type': 'pi' }), undefined, ctx(n1))), undefined);
    assert.equal(
      refusal(() => admit(nodesDef, node('n1', { 'node-role.kubernetes.io/master': 'true' }), undefined, ctx(n1))),
      'nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-role.kubernetes.io/master',
    );
    const pinned = node('n1', { 'node-restriction.kubernetes.io/pool': 'a' });
    assert.match(refusal(() => admit(nodesDef, node('n1'), pinned, ctx(n1)))!, /not allowed to modify labels: node-restriction.kubernetes.io\/pool/);
    assert.equal(refusal(() => admit(nodesDef, structuredClone(pinned), pinned, ctx(n1))), undefined, 'an unchanged label is fine');
    assert.equal(kubeletMaySetLabel('example.com/x'), true);
    assert.equal(kubeletMaySetLabel('foo.k8s.io/x'), false);
    assert.equal(kubeletMaySetLabel('kubelet.kubernetes.io/x'), true);
  });

  test('taints are set at registration and not changed by the node afterwards', () => {
    const taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    assert.equal(refusal(() => admit(nodesDef, node('n1', {}, [taint]), undefined, ctx(n1))), undefined);
    assert.equal(refusal(() => admit(nodesDef, node('n1'), node('n1', {}, [taint]), ctx(n1))), 'nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
  });

  test('only mirror pods bound to itself that reference nothing secret', () => {
    const pod = (annotations: Record<string, string>, spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', annotations }, spec: { containers: [{ name: 'c' }], ...spec } });
    const mirror = { 'kubernetes.io/config.mirror': 'abc' };
    assert.equal(refusal(() => admit(podsDef, pod(mirror, { nodeName: 'n1' }), undefined, ctx(n1))), undefined);
    assert.match(refusal(() => admit(podsDef, pod({}, { nodeName: 'n1' }), undefined, ctx(n1)))!, /can only create mirror pods$/);
    assert.match(refusal(() => admit(podsDef, pod(mirror, { nodeName: 'n2' }), undefined, ctx(n1)))!, /can only create pods with spec.nodeName set to itself$/);
    assert.match(refusal(() => admit(podsDef, pod(mirror, { nodeName: 'n1', volumes: [{ name: 'v', secret: { secretName: 's' } }] }), undefined, ctx(n1)))!, /can not create pods that reference secrets$/);
    const admin: UserInfo = { username: 'admin', groups: ['system:masters'] };
    assert.equal(refusal(() => admit(podsDef, pod({}, {}), undefined, ctx(admin))), undefined, 'others are not its business');
  });

  test('node leases only under its own name', () => {
    const lease = (name: string): KObject => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' } });
    assert.equal(refusal(() => admit(leasesDef, lease('n1'), undefined, ctx(n1))), undefined);
    assert.match(refusal(() => admit(leasesDef, lease('n2'), undefined, ctx(n1)))!, /^leases.coordination.k8s.io "n2" is forbidden: can only access node lease/);
  });
});
