import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  endpointSlicePrinter,
  ingressClassPrinter,
  ingressPrinter,
  ipAddressPrinter,
  networkPolicyPrinter,
  serviceCIDRPrinter,
} from './networking.ts';
import { ago, now } from './testing.ts';

const metadata = { name: 'web', creationTimestamp: ago(150) };

test('Ingress: CLASS, HOSTS, ADDRESS, PORTS', () => {
  const ing = {
    metadata,
    spec: {
      ingressClassName: 'traefik',
      rules: [{ host: 'example.com' }, { host: 'www.example.com' }],
      tls: [{ hosts: ['example.com'], secretName: 'web-tls' }],
    },
    status: { loadBalancer: { ingress: [{ ip: '192.168.1.20' }, { ip: '192.168.1.10' }] } },
  };
  assert.deepEqual(
    ingressPrinter.columns.map((c) => c.name),
    ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age'],
  );
  assert.deepEqual(ingressPrinter.row(ing, now), ['web', 'traefik', 'example.com,www.example.com', '192.168.1.10,192.168.1.20', '80, 443', '2m30s']);
  const bare = { metadata, spec: { rules: [{ http: {} }] } };
  assert.deepEqual(ingressPrinter.row(bare, now).slice(1, 5), ['<none>', '*', '', '80']);
  const many = { metadata, spec: { rules: ['a', 'b', 'c', 'd', 'e'].map((h) => ({ host: `${h}.example.com` })) } };
  assert.equal(ingressPrinter.row(many, now)[2], 'a.example.com,b.example.com,c.example.com + 2 more...');
});

test('IngressClass PARAMETERS as Kind.group/name', () => {
  const ic = { metadata, spec: { controller: 'traefik.io/ingress-controller', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } } };
  assert.deepEqual(ingressClassPrinter.row(ic, now), ['web', 'traefik.io/ingress-controller', 'IngressParameters.k8s.example.com/external-lb', '2m30s']);
  assert.equal(ingressClassPrinter.row({ metadata, spec: { controller: 'c' } }, now)[2], '<none>');
});

test('NetworkPolicy POD-SELECTOR', () => {
  assert.deepEqual(networkPolicyPrinter.row({ metadata, spec: { podSelector: {} } }, now), ['web', '<none>', '2m30s']);
  const np = { metadata, spec: { podSelector: { matchLabels: { role: 'db' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] } } };
  assert.equal(networkPolicyPrinter.row(np, now)[1], 'env notin (dev),role=db');
});

test('EndpointSlice: ADDRESSTYPE, PORTS, ENDPOINTS', () => {
  const slice = {
    metadata: { name: 'web-abc12', creationTimestamp: ago(40) },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.42.0.5'] }, { addresses: ['10.42.1.7'] }, { addresses: ['10.42.2.9'] }, { addresses: ['10.42.3.2'] }],
  };
  assert.deepEqual(endpointSlicePrinter.row(slice, now), ['web-abc12', 'IPv4', '8080', '10.42.0.5,10.42.1.7,10.42.2.9 + 1 more...', '40s']);
  assert.deepEqual(endpointSlicePrinter.row({ metadata, addressType: 'IPv4', ports: [{ name: 'x' }, {}] }, now).slice(2, 4), ['x,*', '<unset>']);
});

test('ServiceCIDR and IPAddress', () => {
  assert.deepEqual(serviceCIDRPrinter.row({ metadata: { name: 'kubernetes' }, spec: { cidrs: ['10.43.0.0/16', 'fd00:43::/108'] } }, now).slice(0, 2), [
    'kubernetes',
    '10.43.0.0/16,fd00:43::/108',
  ]);
  const ip = { metadata: { name: '10.43.0.1' }, spec: { parentRef: { group: '', resource: 'services', namespace: 'default', name: 'kubernetes' } } };
  assert.deepEqual(ipAddressPrinter.row(ip, now).slice(0, 2), ['10.43.0.1', 'services/default/kubernetes']);
});
