/** Tests of the metadata rules (meta.ts) and the storage encoding (codec.ts) every object goes through. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject, ResourceDefinition } from '../../api/types.ts';
import { ApiError } from '../errors.ts';
import { decodeFromStorage, encodeForStorage, storageKey, storagePrefix, toVersion } from './codec.ts';
import { generateName, prepareUpdateMeta, sameJson, sameObject, timestamp, tracksGeneration } from './meta.ts';

function def(group: string, kind: string, extra: Partial<ResourceDefinition> = {}): ResourceDefinition {
  return {
    group,
    version: 'v1',
    kind,
    listKind: `${kind}List`,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    namespaced: true,
    verbs: ['get'],
    schema: kind,
    strategy: {},
    storagePath: `${kind.toLowerCase()}s`,
    ...extra,
  };
}

const withSpec: KObject = { metadata: { name: 'x' }, spec: {} };

describe('object metadata', () => {
  it('timestamps have second precision', () => {
    assert.equal(timestamp(new Date('2024-01-02T03:04:05.999Z')), '2024-01-02T03:04:05Z');
  });

  it('generated names keep at most 58 characters of the base and add 5 safe characters', () => {
    assert.match(generateName('web-'), /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const long = generateName('a'.repeat(70));
    assert.equal(long.length, 63);
    assert.ok(long.startsWith('a'.repeat(58)));
  });

  it('generation is tracked where Kubernetes strategies track it', () => {
    assert.equal(tracksGeneration(def('apps', 'Deployment'), withSpec), true);
    assert.equal(tracksGeneration(def('', 'Pod'), { metadata: {} }), true);
    assert.equal(tracksGeneration(def('', 'Service'), withSpec), false);
    assert.equal(tracksGeneration(def('rbac.authorization.k8s.io', 'Role'), { metadata: {} }), false);
    assert.equal(tracksGeneration(def('coordination.k8s.io', 'Lease'), withSpec), false);
    assert.equal(tracksGeneration(def('storage.k8s.io', 'VolumeAttachment'), withSpec), false);
    assert.equal(tracksGeneration(def('certificates.k8s.io', 'CertificateSigningRequest'), withSpec), false);
  });

  it('JSON equality ignores key order and undefined members but not array order or types', () => {
    assert.equal(sameJson({ b: 1, a: { d: [2, 1], c: null } }, { a: { c: null, d: [2, 1] }, b: 1 }), true);
    assert.equal(sameJson({ a: [1, 2] }, { a: [2, 1] }), false);
    assert.equal(sameJson({ a: 1, gone: undefined }, { a: 1 }), true);
    assert.equal(sameJson({ a: 1 }, { a: 1, extra: null }), false);
    assert.equal(sameJson({ a: '1' }, { a: 1 }), false);
    assert.equal(sameJson({ a: [] }, { a: {} }), false);
    assert.equal(sameJson([undefined], [null]), true);
  });

  it('two versions equal but for resourceVersion and managedFields times are the same object', () => {
    const a: KObject = { metadata: { name: 'x', resourceVersion: '1', managedFields: [{ manager: 'm', time: '2024-01-01T00:00:00Z' }] }, data: { k: 'v', j: 'w' } };
    const b: KObject = { data: { j: 'w', k: 'v' }, metadata: { managedFields: [{ time: '2025-01-01T00:00:00Z', manager: 'm' }], resourceVersion: '2', name: 'x' } };
    assert.equal(sameObject(a, b), true);
    assert.equal(sameObject(a, { ...b, data: { k: 'v' } }), false);
  });

  it('an update keeps system fields and bumps generation only for spec changes', () => {
    const d = def('apps', 'Deployment', { subresources: ['status'] });
    const old: KObject = { metadata: { name: 'x', namespace: 'ns', uid: 'u1', creationTimestamp: 't', generation: 3 }, spec: { a: 1, b: 2 }, status: { s: 1 } };
    const same = prepareUpdateMeta(d, { metadata: { name: 'x', uid: 'forged', generation: 9 }, spec: { b: 2, a: 1 }, status: { s: 2 } }, old, '');
    assert.deepEqual([same.metadata.uid, same.metadata.creationTimestamp, same.metadata.namespace, same.metadata.generation], ['u1', 't', 'ns', 3]);
    assert.deepEqual(same.status, { s: 1 }, 'status belongs to the status subresource');
    const changed = prepareUpdateMeta(d, { metadata: { name: 'x' }, spec: { a: 2, b: 2 } }, old, '');
    assert.equal(changed.metadata.generation, 4);
    const status = prepareUpdateMeta(d, { metadata: { name: 'x' }, spec: { a: 9 }, status: { s: 5 } }, old, 'status');
    assert.deepEqual([status.spec, status.status, status.metadata.generation], [{ a: 1, b: 2 }, { s: 5 }, 3]);
  });
});

describe('storage codec', () => {
  it('keys objects under /registry/<storagePath>', () => {
    assert.equal(storageKey(def('', 'ConfigMap'), 'ns', 'a'), '/registry/configmaps/ns/a');
    assert.equal(storageKey(def('', 'Node', { namespaced: false, storagePath: 'minions' }), '', 'n1'), '/registry/minions/n1');
    assert.equal(storagePrefix(def('', 'ConfigMap'), 'ns'), '/registry/configmaps/ns/');
    assert.equal(storagePrefix(def('', 'ConfigMap')), '/registry/configmaps/');
  });

  it('stores no resourceVersion or selfLink and gives the revision back on the way out', () => {
    const obj: KObject = { kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '5', selfLink: '/x' }, data: {} };
    const raw = encodeForStorage(obj);
    assert.deepEqual(JSON.parse(raw.toString()), { kind: 'ConfigMap', metadata: { name: 'a' }, data: {} });
    assert.equal(obj.metadata.resourceVersion, '5', 'the caller keeps its object');
    assert.equal(decodeFromStorage(raw, 42, '/k').metadata.resourceVersion, '42');
  });

  it('refuses stored values that are not objects with metadata', () => {
    for (const value of ['{bad', '[]', '{"kind":"X"}', 'null']) {
      assert.throws(() => decodeFromStorage(Buffer.from(value), 1, '/registry/x'), (err: unknown) => err instanceof ApiError && err.code === 500, value);
    }
  });

  it('shows the requested version with its apiVersion and kind', () => {
    const stored: KObject = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, reason: 'R' };
    const events = def('events.k8s.io', 'Event', { conversion: { toStored: (o) => o, fromStored: ({ reason, ...o }) => ({ ...o, note: reason }) } });
    assert.deepEqual(toVersion(events, stored), { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e' }, note: 'R' });
    assert.equal(toVersion(def('', 'Event'), stored), stored, 'same version: the same object');
  });
});
