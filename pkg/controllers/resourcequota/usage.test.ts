import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { scopesMatch } from './scopes.ts';
import { formatList, matchesResource, objectUsage } from './usage.ts';

const pod = (spec: Record<string, unknown>, status: Record<string, unknown> = { phase: 'Running' }): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec, status }) as KObject;
const res = (cpu: string, memory?: string) => ({ resources: { requests: { cpu, ...(memory ? { memory } : {}) }, limits: { cpu } } });

test('a pod counts its containers, sidecars, the largest init container and overhead', () => {
  const p = pod({
    containers: [{ name: 'a', ...res('200m', '64Mi') }, { name: 'b', ...res('300m') }],
    initContainers: [{ name: 'sidecar', restartPolicy: 'Always', ...res('100m') }, { name: 'setup', ...res('1') }],
    overhead: { cpu: '10m' },
  });
  assert.deepEqual(formatList(objectUsage('', 'pods', p)), {
    'count/pods': '1',
    pods: '1',
    cpu: '1110m',
    'requests.cpu': '1110m',
    'limits.cpu': '1110m',
    memory: '64Mi',
    'requests.memory': '64Mi',
  });
});

test('a finished pod keeps only its object count', () => {
  assert.deepEqual(formatList(objectUsage('', 'pods', pod({ containers: [{ name: 'a', ...res('1') }] }, { phase: 'Succeeded' }))), { 'count/pods': '1' });
});

test('services count node ports and load balancers; claims their storage per class', () => {
  const lb = { metadata: { name: 's' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 443 }] } } as KObject;
  assert.deepEqual(formatList(objectUsage('', 'services', lb)), { services: '1', 'count/services': '1', 'services.nodeports': '2', 'services.loadbalancers': '1' });
  const pvc = { metadata: { name: 'c' }, spec: { storageClassName: 'fast', resources: { requests: { storage: '1Gi' } } } } as KObject;
  assert.deepEqual(formatList(objectUsage('', 'persistentvolumeclaims', pvc)), {
    persistentvolumeclaims: '1',
    'count/persistentvolumeclaims': '1',
    'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
    'requests.storage': '1Gi',
    'fast.storageclass.storage.k8s.io/requests.storage': '1Gi',
  });
  assert.deepEqual(formatList(objectUsage('apps', 'deployments', { metadata: {} } as KObject)), { 'count/deployments.apps': '1' });
});

test('quota resource names map to the kinds they measure', () => {
  assert.equal(matchesResource('', 'pods', 'requests.nvidia.com/gpu'), true);
  assert.equal(matchesResource('', 'pods', 'configmaps'), false);
  assert.equal(matchesResource('', 'configmaps', 'configmaps'), true);
  assert.equal(matchesResource('apps', 'deployments', 'count/deployments.apps'), true);
  assert.equal(matchesResource('', 'services', 'services.nodeports'), true);
});

test('scopes narrow a quota to some pods and exclude other kinds', () => {
  const bestEffort = { spec: { scopes: ['BestEffort'] } } as unknown as KObject;
  assert.equal(scopesMatch(bestEffort, '', 'pods', pod({ containers: [{ name: 'a' }] })), true);
  assert.equal(scopesMatch(bestEffort, '', 'pods', pod({ containers: [{ name: 'a', ...res('1') }] })), false);
  assert.equal(scopesMatch(bestEffort, '', 'configmaps', { metadata: {} } as KObject), false);
  const priority = { spec: { scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } } } as unknown as KObject;
  assert.equal(scopesMatch(priority, '', 'pods', pod({ priorityClassName: 'high', containers: [] })), true);
  assert.equal(scopesMatch(priority, '', 'pods', pod({ containers: [] })), false);
  const terminating = { spec: { scopes: ['Terminating'] } } as unknown as KObject;
  assert.equal(scopesMatch(terminating, '', 'pods', pod({ activeDeadlineSeconds: 30, containers: [] })), true);
});
