import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { create, update } from '../test-helpers.ts';
import { ingressclasses } from './ingressclass.ts';
import { ingresses } from './ingress.ts';
import { networkpolicies } from './networkpolicy.ts';

/** What `kubectl create ingress simple --rule="foo.com/bar=svc1:8080"` sends. */
function kubectlIngress(): KObject {
  return {
    metadata: { name: 'simple', namespace: 'default' },
    spec: { rules: [{ host: 'foo.com', http: { paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } }] } }] },
  };
}

test('a kubectl-made ingress is valid, its status starts empty, and it is stored under "ingress"', () => {
  const { obj, errors } = create(ingresses.strategy, kubectlIngress());
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.status, { loadBalancer: {} });
  assert.equal(ingresses.storagePath, 'ingress');
});

test('ingress paths, hosts and backends are checked as Kubernetes does', () => {
  const ing = kubectlIngress();
  ing.spec.rules[0].host = '10.0.0.1';
  ing.spec.rules[0].http.paths.push({ path: 'nope//x', pathType: 'Prefix', backend: { service: { name: 'svc1', port: {} } } });
  ing.spec.rules[0].http.paths.push({ path: '/x', backend: { service: { name: 'svc1', port: { number: 80 } } } });
  assert.deepEqual(create(ingresses.strategy, ing).errors, [
    'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    'spec.rules[0].http.paths[1].path: Invalid value: "nope//x": must be an absolute path',
    'spec.rules[0].http.paths[1].path: Invalid value: "nope//x": must not contain \'//\'',
    'spec.rules[0].http.paths[1].backend: Required value: port name or number is required',
    'spec.rules[0].http.paths[2].pathType: Required value: pathType must be specified',
  ]);
  assert.deepEqual(create(ingresses.strategy, { metadata: { name: 'e' }, spec: {} }).errors, ['spec: Invalid value: []: either `defaultBackend` or `rules` must be specified']);
});

test('ingress class controller: domain-prefixed and immutable; parameters scope defaults to Cluster', () => {
  const cls: KObject = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx', parameters: { kind: 'Cfg', name: 'x' } } };
  const { obj, errors } = create(ingressclasses.strategy, cls);
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.parameters.scope, 'Cluster');
  assert.deepEqual(create(ingressclasses.strategy, { metadata: { name: 'x' }, spec: { controller: 'nginx' } }).errors, [
    'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
  ]);
  const moved = structuredClone(obj);
  moved.spec.controller = 'example.com/other';
  assert.deepEqual(update(ingressclasses.strategy, moved, obj).errors, ['spec.controller: Invalid value: "example.com/other": field is immutable']);
});

test('network policy defaults: TCP ports and policy types from the rules present', () => {
  const np: KObject = {
    metadata: { name: 'np', namespace: 'default' },
    spec: { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }] },
  };
  const { obj, errors } = create(networkpolicies.strategy, np);
  assert.deepEqual(errors, []);
  assert.equal(obj.spec.ingress[0].ports[0].protocol, 'TCP');
  assert.deepEqual(obj.spec.policyTypes, ['Ingress', 'Egress']);
});

test('network policy peers, ports and ipBlocks', () => {
  const np: KObject = {
    metadata: { name: 'np' },
    spec: {
      podSelector: {},
      ingress: [{ ports: [{ port: 90, endPort: 80 }], from: [{}, { ipBlock: { cidr: '10.0.0.0/16', except: ['192.168.0.0/24'] }, podSelector: {} }] }],
    },
  };
  assert.deepEqual(create(networkpolicies.strategy, np).errors, [
    'spec.ingress[0].ports[0].endPort: Invalid value: 90: must be greater than or equal to `port`',
    'spec.ingress[0].from[0]: Required value: must specify a peer',
    'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`',
    'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
  ]);
});
