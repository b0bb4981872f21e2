import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../types.ts';
import { endpointsPrinter, formatEndpoints, servicePrinter } from './service.ts';
import { ago, now } from './testing.ts';

function service(spec: object, status: object = {}): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', creationTimestamp: ago(3600 * 26) }, spec, status };
}

test('Service columns', () => {
  assert.deepEqual(
    servicePrinter.columns.map((c) => `${c.name}:${c.priority}`),
    ['Name:0', 'Type:0', 'Cluster-IP:0', 'External-IP:0', 'Port(s):0', 'Age:0', 'Selector:1'],
  );
});

test('ClusterIP service', () => {
  const svc = service({
    type: 'ClusterIP',
    clusterIP: '10.43.12.7',
    clusterIPs: ['10.43.12.7'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }, { name: 'dns', port: 53, protocol: 'UDP' }],
    selector: { app: 'web' },
  });
  assert.deepEqual(servicePrinter.row(svc, now), ['web', 'ClusterIP', '10.43.12.7', '<none>', '80/TCP,53/UDP', '26h', 'app=web']);
});

test('NodePort service with external IPs', () => {
  const svc = service({
    type: 'NodePort',
    clusterIPs: ['10.43.0.9'],
    externalIPs: ['192.168.1.10', '192.168.1.11'],
    ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, nodePort: 30443, protocol: 'TCP' }],
  });
  assert.deepEqual(servicePrinter.row(svc, now).slice(1, 5), ['NodePort', '10.43.0.9', '192.168.1.10,192.168.1.11', '80:30080/TCP,443:30443/TCP']);
  assert.equal(servicePrinter.row(svc, now)[6], '<none>');
});

test('LoadBalancer service: <pending>, then its sorted addresses', () => {
  const spec = { type: 'LoadBalancer', clusterIPs: ['10.43.0.10'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] };
  assert.equal(servicePrinter.row(service(spec), now)[3], '<pending>');
  const ready = service(spec, {
    loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.10' }, { ip: '203.0.113.9' }] },
  });
  // Never clipped: the API server prints wide and kubectl shows what it gets.
  assert.equal(servicePrinter.row(ready, now)[3], '203.0.113.10,203.0.113.9,lb.example.com');
  const both = service({ ...spec, externalIPs: ['198.51.100.1'] }, { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } });
  assert.equal(servicePrinter.row(both, now)[3], '203.0.113.9,198.51.100.1');
});

test('headless and ExternalName services', () => {
  const headless = service({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 5432, protocol: 'TCP' }] });
  assert.deepEqual(servicePrinter.row(headless, now).slice(1, 5), ['ClusterIP', 'None', '<none>', '5432/TCP']);
  const external = service({ type: 'ExternalName', externalName: 'db.example.com' });
  assert.deepEqual(servicePrinter.row(external, now).slice(1, 5), ['ExternalName', '<none>', 'db.example.com', '<none>']);
});

test('Endpoints: ip:port pairs, "+ N more...", <none> without subsets', () => {
  const ep: KObject = {
    metadata: { name: 'web', creationTimestamp: ago(45) },
    subsets: [
      {
        addresses: [{ ip: '10.42.0.5' }, { ip: '10.42.1.7' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9113, protocol: 'TCP' }],
      },
    ],
  };
  assert.deepEqual(endpointsPrinter.row(ep, now), ['web', '10.42.0.5:8080,10.42.1.7:8080,10.42.0.5:9113 + 1 more...', '45s']);
  assert.equal(formatEndpoints(undefined), '<none>');
  assert.equal(formatEndpoints([{ addresses: [{ ip: '10.42.0.5' }] }]), '10.42.0.5');
  assert.equal(formatEndpoints([{ addresses: [{ ip: 'fd00::5' }], ports: [{ port: 80 }] }]), '[fd00::5]:80');
  assert.equal(formatEndpoints([{ ports: [{ port: 80 }] }]), '');
});
