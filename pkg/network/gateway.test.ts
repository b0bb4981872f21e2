import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatewayOf } from './gateway.ts';

test('the gateway is the first address of the range', () => {
  assert.equal(gatewayOf('10.42.3.0/24'), '10.42.3.1');
  assert.equal(gatewayOf('10.42.3.77/24'), '10.42.3.1', 'host bits are ignored');
  assert.equal(gatewayOf('10.42.0.0/16'), '10.42.0.1');
  assert.equal(gatewayOf('fd00:42:0:3::/64'), 'fd00:42:0:3::1');
  assert.equal(gatewayOf('fd00::/64'), 'fd00::1');
});

test('ranges without room for a gateway and a pod have none', () => {
  assert.equal(gatewayOf('10.42.3.0/31'), undefined);
  assert.equal(gatewayOf('10.42.3.0'), undefined);
  assert.equal(gatewayOf('nonsense/24'), undefined);
});
