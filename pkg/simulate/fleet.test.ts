import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KObject } from '../api/types.ts';
import { ClientError, type Client } from '../client/client.ts';
import { fleetNodes, forEachLimited, heartbeatSlot, NodeFleet, RENEW_INTERVAL_MS, TICK_MS } from './fleet.ts';
import { fleetSubnet, leaseObject, microTime, nodeAddress, nodeObject, nodeStatus } from './node.ts';

const conflict = () => new ClientError(409, { reason: 'Conflict', message: 'conflict' });
const exists = () => new ClientError(409, { reason: 'AlreadyExists', message: 'exists' });

/** The writes a fleet makes, against objects kept in a map; `failNext` makes the next write of a path fail. */
function fakeClient(opts: { dropsStatusOnCreate?: boolean } = {}) {
  const objects = new Map<string, KObject>();
  const calls: string[] = [];
  const failNext = new Map<string, () => ClientError>();
  let rv = 0;
  const store = (path: string, obj: KObject) => {
    const saved = { ...obj, metadata: { ...obj.metadata, uid: objects.get(path)?.metadata.uid ?? `uid-${path}`, resourceVersion: String(++rv) } };
    objects.set(path, saved);
    return saved;
  };
  const check = (verb: string, path: string) => {
    calls.push(`${verb} ${path}`);
    const fail = failNext.get(`${verb} ${path}`);
    if (fail) {
      failNext.delete(`${verb} ${path}`);
      throw fail();
    }
  };
  const client = {
    async create(path: string, obj: KObject) {
      const full = `${path}/${obj.metadata.name}`;
      check('create', full);
      if (objects.has(full)) throw exists();
      if (opts.dropsStatusOnCreate) return store(full, { ...obj, status: undefined });
      return store(full, obj);
    },
    async get(path: string) {
      check('get', path);
      return objects.get(path)!;
    },
    async update(path: string, obj: KObject) {
      check('update', path);
      if (objects.get(path)?.metadata.resourceVersion !== obj.metadata.resourceVersion) throw conflict();
      return store(path, obj);
    },
    async patch(path: string, body: { status: Record<string, unknown> }) {
      check('patch', path);
      const base = path.replace(/\/status$/, '');
      const current = objects.get(base)!;
      return store(base, { ...current, status: { ...current.status, ...body.status } });
    },
  };
  return { client: client as unknown as Client, objects, calls, failNext };
}

/** The fake's Nodes as an informer would show them (synced). */
const observing = (objects: Map<string, KObject>) => ({ get: (name: string) => objects.get(`/api/v1/nodes/${name}`), hasSynced: () => true });

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';

describe('simulated nodes', () => {
  test('names, addresses and heartbeat slots spread over the interval', () => {
    const nodes = fleetNodes('sim-', 3);
    assert.deepEqual(nodes.map((n) => n.name), ['sim-0', 'sim-1', 'sim-2']);
    assert.equal(nodeAddress(nodes[0]!), `10.${fleetSubnet('sim-')}.0.1`);
    assert.equal(nodeAddress({ name: 'x', index: 256, subnet: 201 }), '10.201.1.1');
    const ticks = RENEW_INTERVAL_MS / TICK_MS;
    assert.deepEqual([0, 1, 2].map((i) => heartbeatSlot(i, 3, RENEW_INTERVAL_MS)), [0, Math.floor(ticks / 3), Math.floor((2 * ticks) / 3)]);
    const slots = Array.from({ length: 1000 }, (_, i) => heartbeatSlot(i, 1000, RENEW_INTERVAL_MS));
    assert.ok(slots.every((s) => s >= 0 && s < ticks));
    assert.equal(Math.max(...[...new Set(slots)].map((s) => slots.filter((x) => x === s).length)), 10);
  });

  test('the Node carries the kubelet labels, capacity, addresses, nodeInfo and Ready', () => {
    const node = { name: 'sim-0', index: 0, subnet: 210 };
    const obj = nodeObject(node, 0);
    assert.equal(obj.metadata.labels!['kubernetes.io/hostname'], 'sim-0');
    assert.equal(obj.metadata.labels!['kubernetes.io/os'], 'linux');
    const status = nodeStatus(node, 0) as { capacity: Record<string, string>; nodeInfo: Record<string, string>; addresses: unknown[]; conditions: { type: string; status: string; reason: string }[] };
    assert.equal(status.capacity.pods, '110');
    assert.equal(status.nodeInfo.kubeletVersion, 'v1.33.0');
    assert.deepEqual(status.addresses, [{ type: 'InternalIP', address: '10.210.0.1' }, { type: 'Hostname', address: 'sim-0' }]);
    assert.deepEqual(status.conditions.map((c) => [c.type, c.status]), [['MemoryPressure', 'False'], ['DiskPressure', 'False'], ['PIDPressure', 'False'], ['Ready', 'True']]);
    assert.equal(status.conditions[3]!.reason, 'KubeletReady');
  });

  test('the Lease is held by its node, owned by the Node, with a MicroTime renewTime', () => {
    const lease = leaseObject({ name: 'sim-1', index: 1, subnet: 200 }, 'node-uid', Date.parse('2026-01-01T00:00:00.123Z'));
    assert.equal(lease.spec.holderIdentity, 'sim-1');
    assert.equal(lease.spec.leaseDurationSeconds, 40);
    assert.equal(lease.spec.renewTime, '2026-01-01T00:00:00.123000Z');
    assert.deepEqual(lease.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'sim-1', uid: 'node-uid' }]);
    assert.equal(microTime(0), '1970-01-01T00:00:00.000000Z');
  });

  test('registration creates each Node with its status and its Lease; a rerun reports the status and renews the Lease', async () => {
    const fake = fakeClient();
    await new NodeFleet(fake.client, fleetNodes('sim-', 2), undefined, () => 1000).register();
    assert.deepEqual(fake.calls.filter((c) => c.includes('nodes')), ['create /api/v1/nodes/sim-0', 'create /api/v1/nodes/sim-1']);
    assert.equal(fake.objects.get('/api/v1/nodes/sim-1')!.status.conditions.at(-1).type, 'Ready');
    assert.equal(fake.objects.get(`${LEASES}/sim-0`)!.metadata.ownerReferences?.[0]?.uid, 'uid-/api/v1/nodes/sim-0');
    fake.calls.length = 0;
    await new NodeFleet(fake.client, fleetNodes('sim-', 1), undefined, () => 2000).register();
    assert.deepEqual(fake.calls, [
      'create /api/v1/nodes/sim-0',
      'patch /api/v1/nodes/sim-0/status',
      `create ${LEASES}/sim-0`,
      `get ${LEASES}/sim-0`,
      `update ${LEASES}/sim-0`,
    ]);
    assert.equal(fake.objects.get(`${LEASES}/sim-0`)!.spec.renewTime, microTime(2000));
  });

  test('a server that drops the status sent with a create gets it through nodes/status', async () => {
    const fake = fakeClient({ dropsStatusOnCreate: true });
    await new NodeFleet(fake.client, fleetNodes('sim-', 1), undefined, () => 1000).register();
    assert.deepEqual(fake.calls.filter((c) => c.includes('nodes')), ['create /api/v1/nodes/sim-0', 'patch /api/v1/nodes/sim-0/status']);
    assert.equal(fake.objects.get('/api/v1/nodes/sim-0')!.status.nodeInfo.kubeletVersion, 'v1.33.0');
  });

  test('a registration that fails for a passing reason is tried again; a refusal ends it', async () => {
    const fake = fakeClient();
    fake.failNext.set('create /api/v1/nodes/sim-0', () => new ClientError(503, { reason: 'ServiceUnavailable', message: 'busy' }));
    await new NodeFleet(fake.client, fleetNodes('sim-', 1), undefined, () => 1000).register();
    assert.deepEqual(fake.calls.filter((c) => c === 'create /api/v1/nodes/sim-0').length, 2);
    assert.ok(fake.objects.get(`${LEASES}/sim-0`));
    fake.failNext.set('create /api/v1/nodes/sim-1', () => new ClientError(403, { reason: 'Forbidden', message: 'nodes is forbidden' }));
    await assert.rejects(new NodeFleet(fake.client, fleetNodes('sim-', 2), undefined, () => 1000).register(), /^Error: registering node sim-1: nodes is forbidden$/);
  });

  test('after a conflicting Lease write the next renewal reads the Lease again', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const fake = fakeClient();
    let now = 1000;
    const fleet = new NodeFleet(fake.client, fleetNodes('sim-', 1), undefined, () => now);
    await fleet.register();
    fake.failNext.set(`update ${LEASES}/sim-0`, conflict);
    fleet.start();
    const interval = async () => {
      now += RENEW_INTERVAL_MS;
      t.mock.timers.tick(RENEW_INTERVAL_MS);
      await new Promise((resolve) => setImmediate(resolve));
    };
    await interval();
    assert.equal(fake.objects.get(`${LEASES}/sim-0`)!.spec.renewTime, microTime(1000), 'the conflicting renewal was not applied');
    await interval();
    fleet.stop();
    assert.equal(fake.objects.get(`${LEASES}/sim-0`)!.spec.renewTime, microTime(now));
    assert.ok(fake.calls.includes(`get ${LEASES}/sim-0`));
  });

  test('a node the cluster has as not Ready is reported Ready at its next renewal', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const fake = fakeClient();
    const nodePath = '/api/v1/nodes/sim-0';
    const fleet = new NodeFleet(fake.client, fleetNodes('sim-', 1), observing(fake.objects), () => 5000);
    await fleet.register();
    const reports = () => fake.calls.filter((c) => c === `patch ${nodePath}/status`).length;
    fleet.start();
    const interval = async () => {
      t.mock.timers.tick(RENEW_INTERVAL_MS);
      await new Promise((resolve) => setImmediate(resolve));
    };
    await interval();
    assert.equal(reports(), 0, 'a Ready node is not reported again before the status interval');
    const node = fake.objects.get(nodePath)!;
    // What the node lifecycle controller writes after missed heartbeats.
    fake.objects.set(nodePath, { ...node, status: { ...node.status, conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] } });
    await interval();
    fleet.stop();
    assert.equal(reports(), 1);
    assert.equal(fake.objects.get(nodePath)!.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
  });

  test('a node deleted by someone else stops its heartbeats once it was missing at two renewals', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const fake = fakeClient();
    const fleet = new NodeFleet(fake.client, fleetNodes('sim-', 1), observing(fake.objects), () => 5000);
    await fleet.register();
    fleet.start();
    const renewals = () => fake.calls.filter((c) => c === `update ${LEASES}/sim-0`).length;
    const interval = async () => {
      t.mock.timers.tick(RENEW_INTERVAL_MS);
      await new Promise((resolve) => setImmediate(resolve));
    };
    await interval();
    assert.equal(renewals(), 1);
    fake.objects.delete('/api/v1/nodes/sim-0');
    await interval();
    assert.equal(renewals(), 2, 'one absence may be a watch that lags');
    await interval();
    await interval();
    fleet.stop();
    assert.equal(renewals(), 2);
  });

  test('forEachLimited runs every item with at most `limit` at once', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(n);
      running--;
    });
    assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(most, 3);
  });
});
