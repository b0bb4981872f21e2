import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject, OwnerReference } from '../../api/types.ts';
import { decide } from './decide.ts';

const ref = (uid: string): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid });
const obj = (finalizers?: string[]): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dep', uid: 'd', finalizers } });

describe('what the collector does with an owned object', () => {
  it('keeps it while one owner is solid, dropping references to the others', () => {
    assert.deepEqual(decide(obj(), { solid: [ref('a')], dangling: [], waiting: [] }, false), { action: 'keep' });
    assert.deepEqual(decide(obj(), { solid: [ref('a')], dangling: [ref('b')], waiting: [ref('c')] }, true), { action: 'dropOwners', uids: ['b', 'c'] });
  });

  it('deletes it in the background when its owners are gone', () => {
    assert.deepEqual(decide(obj(), { solid: [], dangling: [ref('a')], waiting: [] }, true), { action: 'delete', propagationPolicy: 'Background' });
  });

  it('an owner waiting in the foreground: foreground too when it has dependents, so they go first', () => {
    assert.deepEqual(decide(obj(), { solid: [], dangling: [], waiting: [ref('a')] }, true), { action: 'delete', propagationPolicy: 'Foreground' });
    assert.deepEqual(decide(obj(), { solid: [], dangling: [], waiting: [ref('a')] }, false), { action: 'delete', propagationPolicy: 'Background' });
  });

  it("the object's own propagation finalizers choose the policy", () => {
    assert.deepEqual(decide(obj(['orphan']), { solid: [], dangling: [ref('a')], waiting: [] }, true), { action: 'delete', propagationPolicy: 'Orphan' });
    assert.deepEqual(decide(obj(['foregroundDeletion']), { solid: [], dangling: [ref('a')], waiting: [] }, false), { action: 'delete', propagationPolicy: 'Foreground' });
  });
});
