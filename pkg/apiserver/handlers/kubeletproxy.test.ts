import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { ApiError } from '../errors.ts';
import { kubeletTarget } from './kubeletproxy.ts';

const tlsConfig = { ca: 'ca', cert: 'cert', key: 'key' };
const node = (runtime: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1' },
  status: {
    addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.210.0.7' }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: { containerRuntimeVersion: runtime },
  },
});

test('a real node is dialled at its InternalIP and kubelet port', () => {
  const target = kubeletTarget(node('containerd://1.6.20'), tlsConfig);
  assert.deepEqual({ host: target.host, port: target.port }, { host: '10.210.0.7', port: 10250 });
});

test('a simulated node is never dialled: 503 naming it', () => {
  assert.throws(() => kubeletTarget(node('simulated://1.0.0'), tlsConfig), (err: unknown) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 503);
    assert.match(err.message, /node "n1" is simulated/);
    return true;
  });
});
