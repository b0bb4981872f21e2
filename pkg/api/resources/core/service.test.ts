import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, Strategy } from '../../types.ts';
import { kubernetesService, serviceResource } from './service.ts';
import { ServiceAllocator, kubernetesServiceIP } from './service-alloc.ts';
import { ctx, fakeLookup, messages } from './testkit.ts';

/** What `kubectl expose deployment web --port=80 --target-port=8080` sends. */
const exposed = (name = 'web', extra: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', labels: { app: 'web' } },
  spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web' }, ...extra },
});

function fixedRandom(): () => number {
  return () => 0;
}

function newStrategy(lookup = fakeLookup()): { strategy: Strategy; lookup: ReturnType<typeof fakeLookup> } {
  const strategy = serviceResource({ serviceCidr: '10.43.0.0/16', nodePortRange: '30000-32767', random: fixedRandom() }).strategy;
  return { strategy, lookup };
}

async function create(strategy: Strategy, svc: KObject, lookup: ReturnType<typeof fakeLookup>, dryRun = false): Promise<string[]> {
  strategy.defaults!(svc);
  await strategy.prepareForCreate!(svc, ctx({ lookup, dryRun }));
  return messages(strategy.validate!(svc, ctx({ lookup, dryRun })));
}

test('the kubernetes service gets the first address of the range', () => {
  assert.equal(kubernetesServiceIP('10.43.0.0/16'), '10.43.0.1');
  assert.equal(kubernetesServiceIP('fd00:43::/112'), 'fd00:43::1');
  const svc = kubernetesService('10.43.0.0/16');
  assert.equal(svc.spec.clusterIP, '10.43.0.1');
  assert.deepEqual(svc.spec.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
});

test('ClusterIP defaults and allocation from the upper part of the range', async () => {
  const { strategy, lookup } = newStrategy();
  const svc = exposed();
  assert.deepEqual(await create(strategy, svc, lookup), []);
  assert.equal(svc.spec.type, 'ClusterIP');
  assert.equal(svc.spec.sessionAffinity, 'None');
  assert.equal(svc.spec.internalTrafficPolicy, 'Cluster');
  assert.equal(svc.spec.externalTrafficPolicy, undefined);
  assert.equal(svc.spec.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
  // 65534 usable addresses: the lowest 256 are kept for addresses picked by hand.
  assert.equal(svc.spec.clusterIP, '10.43.1.1');
  assert.deepEqual(svc.spec.clusterIPs, ['10.43.1.1']);
  assert.deepEqual(svc.status, { loadBalancer: {} });
});

test('two concurrent creates never share an address; stored services are seen too', async () => {
  const { strategy, lookup } = newStrategy();
  const a = exposed('a');
  const b = exposed('b');
  await create(strategy, a, lookup);
  await create(strategy, b, lookup);
  assert.notEqual(a.spec.clusterIP, b.spec.clusterIP);
  lookup.add('services', a);
  lookup.add('services', b);
  const { strategy: restarted } = newStrategy(lookup);
  const c = exposed('c');
  await create(restarted, c, lookup);
  assert.ok(![a.spec.clusterIP, b.spec.clusterIP].includes(c.spec.clusterIP));
});

test('requested addresses: in range and free, or refused with Kubernetes wording', async () => {
  const { strategy, lookup } = newStrategy();
  const dns = exposed('kube-dns', { clusterIP: '10.43.0.10' });
  assert.deepEqual(await create(strategy, dns, lookup), []);
  lookup.add('services', dns);
  assert.deepEqual(await create(strategy, exposed('again', { clusterIP: '10.43.0.10' }), lookup), [
    'spec.clusterIPs: Invalid value: ["10.43.0.10"]: failed to allocate IP 10.43.0.10: provided IP is already allocated',
  ]);
  assert.deepEqual(await create(strategy, exposed('far', { clusterIP: '10.0.0.10' }), lookup), [
    'spec.clusterIPs: Invalid value: ["10.0.0.10"]: failed to allocate IP 10.0.0.10: the provided IP (10.0.0.10) is not in the valid range. The range of valid IPs is 10.43.0.0/16',
  ]);
  const headless = exposed('headless', { clusterIP: 'None' });
  assert.deepEqual(await create(strategy, headless, lookup), []);
  assert.deepEqual(headless.spec.clusterIPs, ['None']);
});

test('dry run allocates without reserving', async () => {
  const { strategy, lookup } = newStrategy();
  const dry = exposed('dry');
  await create(strategy, dry, lookup, true);
  const real = exposed('real');
  await create(strategy, real, lookup);
  assert.equal(dry.spec.clusterIP, real.spec.clusterIP);
});

test('NodePort services get node ports in range and traffic policy Cluster', async () => {
  const { strategy, lookup } = newStrategy();
  const svc = exposed('np', { type: 'NodePort' });
  assert.deepEqual(await create(strategy, svc, lookup), []);
  assert.equal(svc.spec.ports[0].nodePort, 30000);
  assert.equal(svc.spec.externalTrafficPolicy, 'Cluster');
  lookup.add('services', svc);
  const clash = exposed('clash', { type: 'NodePort', ports: [{ port: 80, nodePort: 30000 }] });
  assert.deepEqual(await create(strategy, clash, lookup), ['spec.ports[0].nodePort: Invalid value: 30000: provided port is already allocated']);
  const outside = exposed('outside', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] });
  assert.deepEqual(await create(strategy, outside, lookup), [
    'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
  ]);
  const clusterIPWithPort = exposed('cip', { ports: [{ port: 80, nodePort: 30001 }] });
  assert.deepEqual(await create(strategy, clusterIPWithPort, lookup), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
});

test('updates keep allocated values and refuse a new cluster IP', async () => {
  const { strategy, lookup } = newStrategy();
  const old = exposed();
  await create(strategy, old, lookup);
  lookup.add('services', old);
  const replaced = exposed();
  strategy.defaults!(replaced);
  await strategy.prepareForUpdate!(replaced, old, ctx({ lookup }));
  assert.equal(replaced.spec.clusterIP, old.spec.clusterIP);
  assert.deepEqual(strategy.validateUpdate!(replaced, old, ctx({ lookup })), []);

  const moved = structuredClone(old);
  moved.spec.clusterIP = '10.43.0.99';
  moved.spec.clusterIPs = ['10.43.0.99'];
  await strategy.prepareForUpdate!(moved, old, ctx({ lookup }));
  assert.ok(messages(strategy.validateUpdate!(moved, old, ctx({ lookup }))).includes('spec.clusterIPs[0]: Invalid value: ["10.43.0.99"]: may not change once set'));

  const toNodePort = structuredClone(old);
  toNodePort.spec.type = 'NodePort';
  strategy.defaults!(toNodePort);
  await strategy.prepareForUpdate!(toNodePort, old, ctx({ lookup }));
  assert.deepEqual(strategy.validateUpdate!(toNodePort, old, ctx({ lookup })), []);
  assert.equal(toNodePort.spec.ports[0].nodePort, 30000);
});

test('leaving LoadBalancer drops the fields only it may carry, unless the write set them', async () => {
  const { strategy, lookup } = newStrategy();
  const old = exposed('lb', { type: 'LoadBalancer' });
  await create(strategy, old, lookup);
  lookup.add('services', old);
  assert.equal(old.spec.externalTrafficPolicy, 'Cluster');
  assert.equal(old.spec.allocateLoadBalancerNodePorts, true);
  const plain = structuredClone(old);
  plain.spec.type = 'ClusterIP';
  await strategy.prepareForUpdate!(plain, old, ctx({ lookup }));
  assert.deepEqual(strategy.validateUpdate!(plain, old, ctx({ lookup })), []);
  assert.equal(plain.spec.externalTrafficPolicy, undefined);
  assert.equal(plain.spec.allocateLoadBalancerNodePorts, undefined);
  assert.equal(plain.spec.ports[0].nodePort, undefined);
  const insisting = structuredClone(old);
  insisting.spec.type = 'ClusterIP';
  insisting.spec.externalTrafficPolicy = 'Local';
  await strategy.prepareForUpdate!(insisting, old, ctx({ lookup }));
  assert.ok(messages(strategy.validateUpdate!(insisting, old, ctx({ lookup }))).some((m) => m.startsWith('spec.externalTrafficPolicy')));
});

test('validation messages for bad service specs', async () => {
  const { strategy, lookup } = newStrategy();
  const svc = exposed('bad', { type: 'Magic', sessionAffinity: 'Sticky', ports: [{ port: 0, name: 'a' }, { port: 80, name: 'a', protocol: 'HTTP' }] });
  assert.deepEqual(await create(strategy, svc, lookup), [
    'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[1].name: Duplicate value: "a"',
    'spec.ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
  ]);
  assert.deepEqual(await create(strategy, exposed('1abc'), lookup), [
    "metadata.name: Invalid value: \"1abc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
});

test('the allocator refuses a bad range up front', () => {
  assert.throws(() => new ServiceAllocator({ serviceCidr: 'nonsense' }));
});
