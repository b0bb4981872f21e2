import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { computeSubsets } from '../endpoints/subsets.ts';
import { mirroredGroups } from './mirroring.ts';
import { MANAGED_BY_LABEL, planSlices, type Endpoint } from './plan.ts';

const svc = (spec: Record<string, unknown> = {}): KObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns', uid: 'svc-uid', labels: { team: 'a' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec } }) as KObject;

function pod(i: number, opts: { ready?: boolean; port?: number; deleting?: boolean; ip?: string | null } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${i}`, namespace: 'ns', uid: `uid-${i}`, labels: { app: 'web' }, ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: opts.port ?? 8080 }] }] },
    status: { phase: 'Running', ...(opts.ip === null ? {} : { podIP: opts.ip ?? `10.42.${i >> 8}.${i & 255}` }), conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  } as KObject;
}

const noZone = () => undefined;
const endpointsOf = (slices: KObject[]) => slices.flatMap((s) => (s.endpoints as Endpoint[]).map((e) => e.targetRef!.name));

test('a new service gets one slice with the named target port resolved per pod and the controller labels', () => {
  const plan = planSlices(svc(), [pod(1), pod(2, { ready: false }), pod(3, { ip: null })], [], noZone);
  assert.equal(plan.create.length, 1);
  const slice = plan.create[0]!;
  assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.equal(slice.metadata.generateName, 'web-');
  assert.equal(slice.metadata.labels?.['kubernetes.io/service-name'], 'web');
  assert.equal(slice.metadata.labels?.[MANAGED_BY_LABEL], 'endpointslice-controller.k8s.io');
  assert.equal(slice.metadata.labels?.team, 'a');
  assert.deepEqual(slice.metadata.ownerReferences?.[0]?.uid, 'svc-uid');
  const eps = slice.endpoints as Endpoint[];
  assert.deepEqual(eps.map((e) => [e.targetRef!.name, e.conditions.ready]), [['p1', true], ['p2', false]]);
  assert.deepEqual(eps[0], { addresses: ['10.42.0.1'], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: 'ns', name: 'p1', uid: 'uid-1' }, nodeName: 'n1' });
});

test('pods resolving to different ports land in different slices; more than the maximum splits', () => {
  const pods = [...Array.from({ length: 5 }, (_, i) => pod(i)), pod(10, { port: 9090 })];
  const plan = planSlices(svc(), pods, [], noZone, 2);
  const by8080 = plan.create.filter((s) => (s.ports as { port: number }[])[0]!.port === 8080);
  assert.deepEqual(by8080.map((s) => (s.endpoints as Endpoint[]).length), [2, 2, 1]);
  assert.equal(plan.create.length, 4);
});

test('an unchanged service plans nothing; a readiness change updates the same slice in place', () => {
  const first = planSlices(svc(), [pod(1), pod(2)], [], noZone).create[0]!;
  const existing = { ...first, metadata: { ...first.metadata, name: 'web-abcde', resourceVersion: '5' } } as KObject;
  assert.deepEqual(planSlices(svc(), [pod(2), pod(1)], [existing], noZone), { create: [], update: [], delete: [] });
  const plan = planSlices(svc(), [pod(1), pod(2, { ready: false, deleting: true })], [existing], noZone);
  assert.equal(plan.update.length, 1);
  assert.equal(plan.update[0]!.metadata.name, 'web-abcde');
  assert.deepEqual((plan.update[0]!.endpoints as Endpoint[])[1]!.conditions, { ready: false, serving: false, terminating: true });
});

test('a deleted pod leaves its slice; new pods fill a slice with room before a new one is made', () => {
  const first = planSlices(svc(), [pod(1), pod(2)], [], noZone, 3).create[0]!;
  const existing = { ...first, metadata: { ...first.metadata, name: 'web-abcde' } } as KObject;
  const plan = planSlices(svc(), [pod(2), pod(3), pod(4)], [existing], noZone, 3);
  assert.equal(plan.create.length, 0);
  assert.deepEqual(endpointsOf(plan.update), ['p2', 'p3', 'p4']);
});

test('no pods: one placeholder slice without ports; a slice with the old ports goes', () => {
  const old = { ...planSlices(svc(), [pod(1)], [], noZone).create[0]!, metadata: { name: 'web-old', labels: {} } } as KObject;
  const plan = planSlices(svc(), [], [old], noZone);
  assert.deepEqual(plan.delete.map((s) => s.metadata.name), ['web-old']);
  assert.equal(plan.create.length, 1);
  assert.deepEqual(plan.create[0]!.endpoints, []);
  assert.deepEqual(plan.create[0]!.ports, []);
});

test('Endpoints subsets: ready and not-ready addresses, terminating pods dropped unless publishNotReadyAddresses', () => {
  const { subsets, truncated } = computeSubsets(svc(), [pod(2, { ready: false }), pod(1), pod(3, { deleting: true })]);
  assert.equal(truncated, false);
  assert.deepEqual(subsets, [
    {
      addresses: [{ ip: '10.42.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'p1', uid: 'uid-1' } }],
      notReadyAddresses: [{ ip: '10.42.0.2', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'p2', uid: 'uid-2' } }],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  ]);
  const published = computeSubsets(svc({ publishNotReadyAddresses: true }), [pod(2, { ready: false }), pod(3, { deleting: true })]);
  assert.deepEqual(published.subsets[0]!.addresses!.map((a) => a.targetRef.name), ['p2', 'p3']);
});

test('Endpoints keep at most 1000 addresses, ready ones first', () => {
  const pods = Array.from({ length: 1200 }, (_, i) => pod(i, { ready: i < 900 }));
  const { subsets, truncated } = computeSubsets(svc(), pods);
  assert.equal(truncated, true);
  assert.equal(subsets[0]!.addresses!.length, 900);
  assert.equal(subsets[0]!.notReadyAddresses!.length, 100);
});

test('mirroring: Endpoints subsets become slice endpoints by family, ready ones first', () => {
  const endpoints = {
    metadata: { name: 'ext', namespace: 'ns' },
    subsets: [{ addresses: [{ ip: '192.0.2.1', nodeName: 'n1' }, { ip: '2001:db8::1' }], notReadyAddresses: [{ ip: '192.0.2.2' }], ports: [{ port: 5432 }] }],
  } as unknown as KObject;
  const v4 = [...mirroredGroups(endpoints, 'IPv4').values()];
  assert.deepEqual(v4, [{ ports: [{ name: '', port: 5432, protocol: 'TCP' }], endpoints: [{ addresses: ['192.0.2.1'], conditions: { ready: true }, nodeName: 'n1' }, { addresses: ['192.0.2.2'], conditions: { ready: false } }] }]);
  assert.deepEqual([...mirroredGroups(endpoints, 'IPv6').values()][0]!.endpoints.map((e) => e.addresses[0]), ['2001:db8::1']);
});
