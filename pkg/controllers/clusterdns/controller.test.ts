import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { dnsEndpoints, dnsService, dnsSlices, nodeDnsEndpoints } from './controller.ts';

const node = (name: string, podCIDR: string | undefined, ready: boolean): KObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown' }] },
} as KObject);

test('each node with a podCIDR serves DNS at its bridge address; nodes without one are left out', () => {
  const endpoints = nodeDnsEndpoints([node('b', '10.42.1.0/24', false), node('a', '10.42.0.0/24', true), node('c', undefined, true)]);
  assert.deepEqual(endpoints, [
    { node: 'a', address: '10.42.0.1', ready: true },
    { node: 'b', address: '10.42.1.1', ready: false },
  ]);
  const [slice, ...more] = dnsSlices(endpoints) as any[];
  assert.equal(more.length, 0);
  assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kube-dns');
  assert.deepEqual(slice.endpoints[1], { addresses: ['10.42.1.1'], nodeName: 'b', conditions: { ready: false, serving: false, terminating: false } });
  assert.deepEqual(slice.ports.map((p: any) => `${p.name}/${p.protocol}/${p.port}`), ['dns/UDP/53', 'dns-tcp/TCP/53']);
  const legacy = dnsEndpoints(endpoints) as any;
  assert.deepEqual(legacy.subsets[0].addresses, [{ ip: '10.42.0.1', nodeName: 'a' }]);
  assert.deepEqual(legacy.subsets[0].notReadyAddresses, [{ ip: '10.42.1.1', nodeName: 'b' }]);
  assert.equal(legacy.metadata.labels['endpointslice.kubernetes.io/skip-mirror'], 'true');
});

test('a thousand nodes are spread over slices of at most 500, and no nodes still means one empty slice', () => {
  const many = Array.from({ length: 1001 }, (_, i) => ({ node: `n${String(i).padStart(4, '0')}`, address: `10.42.${i % 250}.1`, ready: true }));
  assert.deepEqual(dnsSlices(many).map((s: any) => s.endpoints.length), [500, 500, 1]);
  assert.deepEqual(dnsSlices([]).map((s: any) => s.endpoints.length), [0]);
  assert.deepEqual((dnsEndpoints([]) as any).subsets, []);
});

test('the Service has no selector and keeps each pod\'s queries on its own node', () => {
  const svc = dnsService('10.43.0.10') as any;
  assert.equal(svc.spec.selector, undefined);
  assert.equal(svc.spec.internalTrafficPolicy, 'Local');
  assert.deepEqual(svc.spec.clusterIPs, ['10.43.0.10']);
  assert.equal(svc.metadata.labels['k8s-app'], 'kube-dns');
});
