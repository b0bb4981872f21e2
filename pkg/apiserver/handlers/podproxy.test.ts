import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { ApiError } from '../errors.ts';
import { podTarget, serviceTarget, splitSchemeNamePort } from './podproxy.ts';

test('[scheme:]name[:port] splits as Kubernetes splits it', () => {
  assert.deepEqual(splitSchemeNamePort('web'), { scheme: '', name: 'web', port: '' });
  assert.deepEqual(splitSchemeNamePort('web:http'), { scheme: '', name: 'web', port: 'http' });
  assert.deepEqual(splitSchemeNamePort('https:web:8443'), { scheme: 'https', name: 'web', port: '8443' });
  assert.equal(splitSchemeNamePort('ftp:web:21'), undefined);
  assert.equal(splitSchemeNamePort('a:b:c:d'), undefined);
});

const pod = (ip: string | undefined, ports: number[] = []): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
  spec: { containers: [{ name: 'c', image: 'x', ports: ports.map((containerPort) => ({ containerPort })) }] },
  status: ip ? { podIP: ip } : {},
} as KObject);

test('a pod is reached at its IP, on the port asked for or its first declared one', () => {
  assert.deepEqual(podTarget(pod('10.42.0.5', [8080, 9090]), '', ''), { scheme: 'http', host: '10.42.0.5', port: 8080 });
  assert.deepEqual(podTarget(pod('10.42.0.5'), 'https', '8443'), { scheme: 'https', host: '10.42.0.5', port: 8443 });
  assert.throws(() => podTarget(pod(undefined, [80]), '', ''), (err: unknown) => err instanceof ApiError && err.code === 503 && /has no IP address yet/.test(err.message));
  assert.throws(() => podTarget(pod('10.42.0.5'), '', ''), /invalid port/);
});

const service = (ports: Record<string, unknown>[]): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports } } as KObject);
const slice = (ports: Record<string, unknown>[], endpoints: { ip: string; ready?: boolean }[]): KObject => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's', labels: { 'kubernetes.io/service-name': 'web' } },
  ports, endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
} as KObject);

test('a Service is reached at a ready endpoint, on the target port of the Service port named', () => {
  const svc = service([{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }]);
  const slices = [slice([{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9100, protocol: 'TCP' }], [{ ip: '10.42.0.5', ready: false }, { ip: '10.42.0.6' }])];
  assert.deepEqual(serviceTarget(svc, slices, '', 'http', () => 0.99), { scheme: 'http', host: '10.42.0.6', port: 8080 });
  assert.deepEqual(serviceTarget(svc, slices, '', '9100', () => 0), { scheme: 'http', host: '10.42.0.6', port: 9100 });
  assert.throws(() => serviceTarget(svc, slices, '', '', () => 0), /no endpoints available for service "web"/, 'two ports and none named: no match');
  const single = service([{ port: 80, protocol: 'TCP' }]);
  assert.deepEqual(serviceTarget(single, [slice([{ port: 8080, protocol: 'TCP' }], [{ ip: '10.42.0.7' }])], '', '', () => 0), { scheme: 'http', host: '10.42.0.7', port: 8080 });
  assert.throws(() => serviceTarget(single, [], '', '', () => 0), (err: unknown) => err instanceof ApiError && err.code === 503);
});
