import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseQuantity } from '../api/validation/index.ts';
import type { Usage } from '../controllers/resourcequota/usage.ts';
import { check } from './limitranger.ts';

const list = (entries: Record<string, string>): Usage => new Map(Object.entries(entries).map(([k, v]) => [k, parseQuantity(v)]));

test('min: a missing request, a request or limit below', () => {
  const item = { type: 'Container', min: { cpu: '100m' } };
  assert.deepEqual(check('Container', item, list({}), list({})), ['minimum cpu usage per Container is 100m.  No request is specified']);
  assert.deepEqual(check('Container', item, list({ cpu: '50m' }), list({})), ['minimum cpu usage per Container is 100m, but request is 50m']);
  assert.deepEqual(check('Container', item, list({ cpu: '200m' }), list({ cpu: '50m' })), ['minimum cpu usage per Container is 100m, but limit is 50m']);
  assert.deepEqual(check('Container', item, list({ cpu: '100m' }), list({})), []);
});

test('max: a missing limit, a limit or request above', () => {
  const item = { type: 'Pod', max: { memory: '1Gi' } };
  assert.deepEqual(check('Pod', item, list({}), list({})), ['maximum memory usage per Pod is 1Gi.  No limit is specified']);
  assert.deepEqual(check('Pod', item, list({}), list({ memory: '2Gi' })), ['maximum memory usage per Pod is 1Gi, but limit is 2Gi']);
  assert.deepEqual(check('Pod', item, list({ memory: '2Gi' }), list({ memory: '1Gi' })), ['maximum memory usage per Pod is 1Gi, but request is 2Gi']);
});

test('maxLimitRequestRatio: requests and limits needed, the ratio printed as Go %f', () => {
  const item = { type: 'Container', maxLimitRequestRatio: { cpu: '2' } };
  assert.deepEqual(check('Container', item, list({}), list({ cpu: '1' })), ['cpu max limit to request ratio per Container is 2, but no request is specified or request is 0']);
  assert.deepEqual(check('Container', item, list({ cpu: '250m' }), list({})), ['cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0']);
  assert.deepEqual(check('Container', item, list({ cpu: '250m' }), list({ cpu: '1' })), ['cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000']);
  assert.deepEqual(check('Container', item, list({ cpu: '500m' }), list({ cpu: '1' })), []);
});
