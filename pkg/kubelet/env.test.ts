import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../api/types.ts';
import { EnvError, EnvResolver, expand, serviceEnv } from './env.ts';
import type { ContainerSpec } from './volumes/downward.ts';
import type { ObjectReader } from './volumes/objects.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function reader(objects: Record<string, KObject>): ObjectReader {
  const get = async (kind: string, ns: string, name: string) => objects[`${kind}/${ns}/${name}`];
  return {
    configMap: (ns, name) => get('cm', ns, name),
    secret: (ns, name) => get('secret', ns, name),
    persistentVolumeClaim: (ns, name) => get('pvc', ns, name),
    persistentVolume: (name) => get('pv', '', name),
  };
}

const svc = (ns: string, name: string, clusterIP: string, ports: object[] = [{ port: 443, protocol: 'TCP', name: 'https' }]): KObject =>
  ({ metadata: { namespace: ns, name }, spec: { clusterIP, ports } });

function pod(containers: ContainerSpec[], extra: Record<string, unknown> = {}): KObject {
  return {
    metadata: { name: 'web-1', namespace: 'shop', uid: 'u-1', labels: { app: 'web', tier: 'front' }, annotations: { note: 'hi "there"' } },
    spec: { nodeName: 'n1', serviceAccountName: 'builder', containers, ...extra },
    status: { hostIP: '10.0.0.5', podIP: '10.42.0.7', podIPs: [{ ip: '10.42.0.7' }, { ip: 'fd00::7' }] },
  };
}

function resolver(objects: Record<string, KObject> = {}, services: KObject[] = [], events: string[] = []) {
  return new EnvResolver({
    objects: reader(objects),
    services: (ns) => services.filter((s) => s.metadata.namespace === ns),
    allocatable: () => ({ cpu: '4', memory: '8Gi' }),
    recorder: { event: (_o, type, reason, message) => events.push(`${type} ${reason} ${message}`) },
  });
}

const asMap = (vars: { key: string; value: string }[]) => Object.fromEntries(vars.map((v) => [v.key, v.value]));

describe('expand', () => {
  const vars: Record<string, string> = { A: 'x', B: 'y' };
  const lookup = (n: string) => vars[n];
  it('replaces defined variables and keeps undefined ones as written', () => {
    assert.equal(expand('$(A)-$(B)-$(C)', lookup), 'x-y-$(C)');
  });
  it('turns $$ into $ and so escapes a reference', () => {
    assert.equal(expand('$$(A) costs $$5', lookup), '$(A) costs $5');
  });
  it('keeps a lone $, an unclosed reference and a trailing $', () => {
    assert.equal(expand('a$b $(A $', lookup), 'a$b $(A $');
  });
});

describe('EnvResolver', () => {
  it('expands values in declaration order against earlier variables only', async () => {
    const c = { name: 'app', env: [{ name: 'LATER', value: '$(FIRST)' }, { name: 'FIRST', value: 'one' }, { name: 'SECOND', value: '$(FIRST)-two' }, { name: 'EMPTY' }] };
    const env = asMap(await resolver().envFor(pod([c]), c));
    assert.equal(env.LATER, '$(FIRST)');
    assert.equal(env.SECOND, 'one-two');
    assert.equal(env.EMPTY, '');
  });

  it('reads configMapKeyRef and secretKeyRef, skipping optional ones that are missing', async () => {
    const objects = {
      'cm/shop/settings': { metadata: { name: 'settings' }, data: { color: 'blue' } },
      'secret/shop/creds': { metadata: { name: 'creds' }, data: { password: b64('s3cret') } },
    };
    const c = {
      name: 'app',
      env: [
        { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'OPT_KEY', valueFrom: { configMapKeyRef: { name: 'settings', key: 'nope', optional: true } } },
        { name: 'OPT_OBJ', valueFrom: { secretKeyRef: { name: 'gone', key: 'x', optional: true } } },
        { name: 'BOTH', value: '$(COLOR):$(PASS)' },
      ],
    };
    const env = asMap(await resolver(objects).envFor(pod([c]), c));
    assert.deepEqual([env.COLOR, env.PASS, env.BOTH], ['blue', 's3cret', 'blue:s3cret']);
    assert.ok(!('OPT_KEY' in env) && !('OPT_OBJ' in env));
  });

  it('fails with a CreateContainerConfigError message when a required key or object is missing', async () => {
    const objects = { 'cm/shop/settings': { metadata: { name: 'settings' }, data: {} } };
    const keyMissing = { name: 'app', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'settings', key: 'color' } } }] };
    await assert.rejects(resolver(objects).envFor(pod([keyMissing]), keyMissing), (err: Error) => err instanceof EnvError && err.message === "couldn't find key color in ConfigMap shop/settings");
    const objMissing = { name: 'app', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'p' } } }] };
    await assert.rejects(resolver().envFor(pod([objMissing]), objMissing), { message: 'secret "creds" not found', reason: 'CreateContainerConfigError' });
  });

  it('answers every fieldRef path kubelet supports', async () => {
    const paths = ['metadata.name', 'metadata.namespace', 'metadata.uid', "metadata.labels['app']", "metadata.annotations['note']", 'metadata.labels', 'spec.nodeName', 'spec.serviceAccountName', 'status.hostIP', 'status.podIP', 'status.podIPs'];
    const c = { name: 'app', env: paths.map((fieldPath, i) => ({ name: `F${i}`, valueFrom: { fieldRef: { fieldPath } } })) };
    const env = asMap(await resolver().envFor(pod([c]), c));
    assert.deepEqual(paths.map((_, i) => env[`F${i}`]), ['web-1', 'shop', 'u-1', 'web', 'hi "there"', 'app="web"\ntier="front"', 'n1', 'builder', '10.0.0.5', '10.42.0.7', '10.42.0.7,fd00::7']);
  });

  it('computes resourceFieldRef with divisors, defaulting limits to node allocatable', async () => {
    const c = {
      name: 'app',
      resources: { limits: { memory: '256Mi' }, requests: { cpu: '250m', memory: '100Mi' } },
      env: [
        { name: 'MEM_LIMIT_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
        { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
      ],
    };
    const env = asMap(await resolver().envFor(pod([c]), c));
    assert.deepEqual([env.MEM_LIMIT_MI, env.CPU_REQ, env.CPU_REQ_M, env.CPU_LIMIT, env.MEM_REQ], ['256', '1', '250', '4', String(100 * 1024 * 1024)]);
  });

  it('takes envFrom with prefix, lets env override it, skips invalid names with a Warning event', async () => {
    const objects = {
      'cm/shop/settings': { metadata: { name: 'settings' }, data: { color: 'blue', 'bad=key': 'x', size: 'L' } },
      'secret/shop/creds': { metadata: { name: 'creds' }, data: { user: b64('ann'), '1st': b64('x') } },
    };
    const events: string[] = [];
    const c = {
      name: 'app',
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CM_' }, { secretRef: { name: 'creds' } }, { configMapRef: { name: 'absent', optional: true } }],
      env: [{ name: 'CM_size', value: 'XL' }],
    };
    const env = asMap(await resolver(objects, [], events).envFor(pod([c]), c));
    assert.deepEqual([env.CM_color, env.CM_size, env.user], ['blue', 'XL', 'ann']);
    assert.ok(!('CM_bad=key' in env));
    assert.ok(!('1st' in env));
    assert.deepEqual(events, [
      'Warning InvalidEnvironmentVariableNames Keys [CM_bad=key] from the EnvFrom configMap shop/settings were skipped since they are considered invalid environment variable names.',
      'Warning InvalidEnvironmentVariableNames Keys [1st] from the EnvFrom secret shop/creds were skipped since they are considered invalid environment variable names.',
    ]);
    const required = { name: 'app', envFrom: [{ configMapRef: { name: 'absent' } }] };
    await assert.rejects(resolver(objects).envFor(pod([required]), required), { message: 'configmap "absent" not found' });
  });

  it('injects service variables: kubernetes always, the namespace\'s unless enableServiceLinks is false', async () => {
    const services = [
      svc('default', 'kubernetes', '10.43.0.1'),
      svc('default', 'other', '10.43.0.2'),
      svc('shop', 'redis-main', '10.43.0.9', [{ port: 6379, protocol: 'TCP' }, { name: 'metrics', port: 9121, protocol: 'UDP' }]),
      svc('shop', 'headless', 'None'),
    ];
    const c = { name: 'app', env: [{ name: 'ADDR', value: '$(REDIS_MAIN_SERVICE_HOST):$(REDIS_MAIN_SERVICE_PORT)' }] };
    const env = asMap(await resolver({}, services).envFor(pod([c]), c));
    assert.equal(env.ADDR, '10.43.0.9:6379');
    assert.equal(env.KUBERNETES_SERVICE_HOST, '10.43.0.1');
    assert.equal(env.KUBERNETES_SERVICE_PORT_HTTPS, '443');
    assert.equal(env.KUBERNETES_PORT, 'tcp://10.43.0.1:443');
    assert.equal(env.REDIS_MAIN_PORT_9121_UDP, 'udp://10.43.0.9:9121');
    assert.equal(env.REDIS_MAIN_PORT_9121_UDP_ADDR, '10.43.0.9');
    assert.equal(env.REDIS_MAIN_SERVICE_PORT_METRICS, '9121');
    assert.ok(!('OTHER_SERVICE_HOST' in env) && !('HEADLESS_SERVICE_HOST' in env));
    const unlinked = asMap(await resolver({}, services).envFor(pod([c], { enableServiceLinks: false }), c));
    assert.equal(unlinked.KUBERNETES_SERVICE_HOST, '10.43.0.1');
    assert.ok(!('REDIS_MAIN_SERVICE_HOST' in unlinked));
    assert.equal(unlinked.ADDR, '$(REDIS_MAIN_SERVICE_HOST):$(REDIS_MAIN_SERVICE_PORT)');
  });

  it('writes IPv6 service addresses in brackets in the link URLs', () => {
    const vars = asMap(serviceEnv([svc('x', 'db', 'fd00::1', [{ port: 5432, protocol: 'TCP' }])]));
    assert.equal(vars.DB_PORT, 'tcp://[fd00::1]:5432');
  });
});
