/**
 * NodeAgent (pkg/kubelet/node) against a real `tsk server`: the Node it registers becomes
 * Ready with its labels and taints, `kubectl get nodes -o wide` shows its address and
 * versions, the Lease renews, and an unchanged status is not written again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '../pkg/client/client.ts';
import { NodeAgent } from '../pkg/kubelet/node/agent.ts';
import { hostIdentity } from '../pkg/kubelet/node/host.ts';
import { clusterPerFile } from './lib/cluster.ts';
import { until } from './lib/until.ts';

const { cluster, ok } = clusterPerFile();
const NAME = 'edge-agent-1';

describe('NodeAgent against a real cluster', () => {
  let client: Client;
  let agent: NodeAgent;
  before(async () => {
    client = Client.fromKubeconfig(cluster().kubeconfig, { userAgent: 'kubelet-node-test' });
    agent = new NodeAgent({
      client,
      nodeName: NAME,
      dataDir: cluster().dataDir,
      nodeIp: '127.0.0.1',
      nodeLabels: ['topology.kubernetes.io/zone=lab'],
      nodeTaints: ['dedicated=edge:NoSchedule'],
      controlPlane: true,
      kubeletPort: 10250,
      runtimeVersion: async () => 'containerd://1.6.20',
      listImages: async () => [{ id: 'sha256:aa', repoTags: ['docker.io/library/busybox:latest'], repoDigests: [], size: 1_200_000 }],
      readiness: async () => ({ ready: true }),
    });
    await agent.start();
  });
  after(() => {
    agent?.stop();
    client?.close();
  });

  it('appears Ready with its labels, taints, address and versions', async () => {
    const node = await until('the node to be Ready', async () => {
      const n = JSON.parse(await ok(['get', 'node', NAME, '-o', 'json']));
      return n.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
    });
    assert.equal(node.metadata.labels['topology.kubernetes.io/zone'], 'lab');
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], NAME);
    assert.equal(node.metadata.labels['node-role.kubernetes.io/control-plane'], 'true');
    assert.ok(node.spec.taints.some((t: { key: string; value: string; effect: string }) => t.key === 'dedicated' && t.value === 'edge' && t.effect === 'NoSchedule'));
    assert.deepEqual(node.status.images, [{ names: ['docker.io/library/busybox:latest'], sizeBytes: 1200000 }]);
    assert.equal(node.status.daemonEndpoints.kubeletEndpoint.Port, 10250);
    assert.match(node.status.capacity.memory, /^\d+Ki$/);

    const wide = await ok(['get', 'nodes', NAME, '-o', 'wide', '--no-headers']);
    const cols = wide.trim().split(/\s{2,}/);
    // NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME
    assert.equal(cols[0], NAME);
    assert.equal(cols[1], 'Ready');
    assert.equal(cols[2], 'control-plane,master');
    assert.match(cols[4]!, /^v1\.\d+\.\d+\+tsk/);
    assert.equal(cols[5], '127.0.0.1');
    assert.equal(cols[7], hostIdentity().osImage);
    assert.equal(cols[8], hostIdentity().kernelVersion);
    assert.equal(cols[9], 'containerd://1.6.20');
  });

  it('renews its Lease without writing an unchanged node status', async () => {
    const leaseTime = async () => JSON.parse(await ok(['get', 'lease', '-n', 'kube-node-lease', NAME, '-o', 'json'])).spec.renewTime as string;
    const nodeVersion = async () => JSON.parse(await ok(['get', 'node', NAME, '-o', 'json'])).metadata.resourceVersion as string;
    // Controllers write the node early on (podCIDR, not-ready taint removal): wait until they are done.
    await until('the not-ready taint to go', async () => {
      const n = JSON.parse(await ok(['get', 'node', NAME, '-o', 'json']));
      return n.spec.taints.some((t: { key: string }) => t.key.startsWith('node.kubernetes.io/')) ? undefined : true;
    });
    const writes = agent.statusWrites;
    const version = await nodeVersion();
    const first = await leaseTime();
    const second = await until('a Lease renewal', async () => ((await leaseTime()) !== first ? leaseTime() : undefined), 30_000);
    await until('another Lease renewal', async () => ((await leaseTime()) !== second ? true : undefined), 30_000);
    assert.equal(agent.statusWrites, writes, 'no status write while nothing changed');
    assert.equal(await nodeVersion(), version, 'the Node object was not written');
  });
});
