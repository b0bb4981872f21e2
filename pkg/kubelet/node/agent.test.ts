import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { ClientError, type Client } from '../../client/client.ts';
import { NodeAgent, type NodeAgentDeps } from './agent.ts';

/** The API as far as NodeAgent uses it: nodes, nodes/status and leases, with resourceVersions. */
class FakeApi {
  objects = new Map<string, KObject>();
  writes: string[] = [];
  private rv = 1;

  private store(path: string, obj: KObject): KObject {
    const stored = structuredClone({ ...obj, metadata: { ...obj.metadata, uid: this.objects.get(path)?.metadata.uid ?? `uid-${this.rv}`, resourceVersion: String(++this.rv) } });
    this.objects.set(path, stored);
    return structuredClone(stored);
  }

  client(): Client {
    const api = this;
    const notFound = () => new ClientError(404, { reason: 'NotFound', message: 'not found' });
    return {
      async get(path: string) {
        const obj = api.objects.get(path.split('?')[0]!);
        if (!obj) throw notFound();
        return structuredClone(obj);
      },
      async create(path: string, obj: KObject) {
        const key = `${path}/${obj.metadata.name}`;
        if (api.objects.has(key)) throw new ClientError(409, { reason: 'AlreadyExists', message: 'exists' });
        api.writes.push(`create ${key}`);
        const { status: _dropped, ...rest } = obj;
        return api.store(key, rest as KObject);
      },
      async update(path: string, obj: KObject) {
        const current = api.objects.get(path);
        if (!current) throw notFound();
        if (current.metadata.resourceVersion !== obj.metadata.resourceVersion) throw new ClientError(409, { reason: 'Conflict', message: 'conflict' });
        api.writes.push(`update ${path}`);
        return api.store(path, obj);
      },
      async patch(path: string, body: KObject) {
        const key = path.replace(/\/status$/, '');
        const current = api.objects.get(key);
        if (!current) throw notFound();
        api.writes.push(`patch ${path}`);
        return api.store(key, { ...current, status: body.status ?? current.status, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...body.metadata?.labels } } });
      },
    } as unknown as Client;
  }
}

const NODE = '/api/v1/nodes/edge-1';
const LEASE = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/edge-1';

function agent(api: FakeApi, extra: Partial<NodeAgentDeps> = {}) {
  let ready = true;
  const deps: NodeAgentDeps = {
    client: api.client(),
    nodeName: 'edge-1',
    dataDir: os.tmpdir(),
    nodeIp: '192.0.2.10',
    nodeLabels: ['zone=lab'],
    nodeTaints: ['dedicated=edge:NoSchedule'],
    kubeletPort: 10250,
    runtimeVersion: async () => 'containerd://1.6.20',
    listImages: async () => [{ id: 'sha256:1', repoTags: ['busybox:latest'], size: 1000 }],
    readiness: async () => ({ ready, message: ready ? undefined : 'container runtime is down' }),
    renewIntervalMs: 20,
    ...extra,
  };
  return { agent: new NodeAgent(deps), setReady: (r: boolean) => (ready = r) };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('NodeAgent', () => {
  it('registers the node with labels and taints, reports status once, then renews only the Lease', async () => {
    const api = new FakeApi();
    const { agent: a, setReady } = agent(api, { controlPlane: true });
    await a.start();
    try {
      const node = api.objects.get(NODE)!;
      assert.equal(node.metadata.labels!['zone'], 'lab');
      assert.equal(node.metadata.labels!['kubernetes.io/hostname'], 'edge-1');
      assert.equal(node.metadata.labels!['node-role.kubernetes.io/control-plane'], 'true');
      assert.deepEqual(node.spec.taints, [{ key: 'dedicated', value: 'edge', effect: 'NoSchedule' }]);
      assert.deepEqual(node.status.addresses, [{ type: 'InternalIP', address: '192.0.2.10' }, { type: 'Hostname', address: 'edge-1' }]);
      assert.equal(node.status.nodeInfo.containerRuntimeVersion, 'containerd://1.6.20');
      assert.deepEqual(node.status.images, [{ names: ['busybox:latest'], sizeBytes: 1000 }]);
      assert.equal(node.status.conditions.find((c: { type: string }) => c.type === 'Ready').status, 'True');
      const lease = api.objects.get(LEASE)!;
      assert.deepEqual(lease.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'edge-1', uid: node.metadata.uid }]);

      await until(() => api.writes.filter((w) => w === `update ${LEASE}`).length >= 3);
      assert.equal(a.statusWrites, 1, 'an unchanged status is not written again');

      setReady(false);
      await until(() => a.statusWrites === 2);
      const ready = api.objects.get(NODE)!.status.conditions.find((c: { type: string }) => c.type === 'Ready');
      assert.deepEqual([ready.status, ready.reason, ready.message], ['False', 'KubeletNotReady', 'container runtime is down']);
    } finally {
      a.stop();
    }
  });

  it('a node that starts NotReady reports Ready as soon as it is, not at the next 10 s tick', { timeout: 10_000 }, async () => {
    const api = new FakeApi();
    const { agent: a, setReady } = agent(api, { renewIntervalMs: 60_000, fastStatusMs: 10 });
    setReady(false);
    await a.start();
    try {
      const readyOf = () => api.objects.get(NODE)!.status.conditions.find((c: { type: string }) => c.type === 'Ready').status;
      assert.equal(readyOf(), 'False');
      setReady(true);
      await until(() => readyOf() === 'True');
      const writes = a.statusWrites;
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(a.statusWrites, writes, 'once Ready, only the normal tick reports');
    } finally {
      a.stop();
    }
  });

  it('keeps an existing node\'s labels and restores kubelet\'s defaults', async () => {
    const api = new FakeApi();
    api.objects.set(NODE, { metadata: { name: 'edge-1', uid: 'old', resourceVersion: '1', labels: { mine: 'x', 'kubernetes.io/os': 'windows' } }, spec: {} });
    const { agent: a } = agent(api);
    await a.start();
    a.stop();
    const labels = api.objects.get(NODE)!.metadata.labels!;
    assert.equal(labels.mine, 'x');
    assert.equal(labels['kubernetes.io/os'], 'linux');
    assert.equal(labels.zone, undefined, '--node-label applies at registration only');
  });

  it('stops its heartbeats when someone deletes the node', async () => {
    const api = new FakeApi();
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (m: string) => warnings.push(m) };
    const { agent: a } = agent(api, { log });
    await a.start();
    try {
      api.objects.delete(NODE);
      api.objects.delete(LEASE);
      await until(() => warnings.some((w) => w.includes('edge-1 was deleted')));
      assert.ok(!api.objects.has(LEASE), 'no Lease without its Node');
      assert.ok(!api.objects.has(NODE), 'no registration again until restarted');
    } finally {
      a.stop();
    }
  });
});
