import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject, ResourceDefinition } from '../../api/types.ts';
import { ApiError } from '../errors.ts';
import { decodeFromStorage, encodeForStorage, storageKey, storagePrefix, toVersion } from './codec.ts';

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
