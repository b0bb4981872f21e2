import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { ENABLE_LB_LABEL, nodeAddresses, portHolder } from './controller.ts';

const node = (name: string, addresses: Record<string, string>, ready = true, labels: Record<string, string> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels },
  status: {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    addresses: Object.entries(addresses).map(([type, address]) => ({ type, address })),
  },
} as KObject);

const service = (name: string, created: string, ports: number[], type = 'LoadBalancer', extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', uid: name, creationTimestamp: created },
  spec: { type, ports: ports.map((port) => ({ port, protocol: 'TCP' })), ...extra },
} as KObject);

test('ready nodes give their external address, else their internal one', () => {
  const nodes = [
    node('a', { InternalIP: '192.168.1.10' }),
    node('b', { InternalIP: '192.168.1.11', ExternalIP: '203.0.113.7' }),
    node('c', { InternalIP: '192.168.1.12' }, false),
    node('d', { Hostname: 'd' }),
  ];
  assert.deepEqual(nodeAddresses(nodes), ['192.168.1.10', '203.0.113.7']);
});

test('once any node is labelled enablelb=true, only labelled nodes serve', () => {
  const nodes = [node('a', { InternalIP: '192.168.1.10' }), node('b', { InternalIP: '192.168.1.11' }, true, { [ENABLE_LB_LABEL]: 'true' })];
  assert.deepEqual(nodeAddresses(nodes), ['192.168.1.11']);
});

test('the older LoadBalancer Service keeps a port; other types and protocols do not compete', () => {
  const first = service('first', '2026-01-01T00:00:00Z', [80, 443]);
  const second = service('second', '2026-01-02T00:00:00Z', [8080, 443]);
  const clusterIp = service('plain', '2025-01-01T00:00:00Z', [8080], 'ClusterIP');
  const udp = service('udp', '2025-01-01T00:00:00Z', [], 'LoadBalancer', { ports: [{ port: 8080, protocol: 'UDP' }] });
  const all = [first, second, clusterIp, udp];
  assert.equal(portHolder(first, all), undefined);
  assert.deepEqual(portHolder(second, all)?.port, 'TCP/443');
  assert.equal(portHolder(second, all)?.service.metadata.name, 'first');
  const sameSecond = service('aaa', '2026-01-01T00:00:00Z', [80]);
  const holding = { ...service('zzz', '2026-01-01T00:00:00Z', [80]), status: { loadBalancer: { ingress: [{ ip: '192.168.1.10' }] } } } as KObject;
  assert.equal(portHolder(sameSecond, [sameSecond, holding])?.service.metadata.name, 'zzz', 'created in the same second: the one serving keeps it');
  assert.equal(portHolder(holding, [sameSecond, holding]), undefined);
  const classed = service('classed', '2025-01-01T00:00:00Z', [443], 'LoadBalancer', { loadBalancerClass: 'example.com/lb' });
  assert.equal(portHolder(second, [classed, second])?.service, undefined, 'another implementation\'s Service holds no node port');
});
