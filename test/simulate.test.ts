/**
 * `tsk simulate` against a real server, checked with real kubectl: nodes registered Ready with
 * kubelet's labels and capacity, Leases renewed, bound pods Running and Ready with an address,
 * run-to-completion pods Succeeded, deletions completed, a wrong token refused, a stopped
 * simulate leaving its nodes behind, and a restarted one reporting them and their pods Ready.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseCidr4, parseIp4 } from '../pkg/simulate/addresses.ts';
import { clusterPerFile } from './lib/cluster.ts';
import { joinToken, startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { runTsk } from './lib/tsk.ts';

// Nodes go Unknown 20 s after their last heartbeat (40 s by default): above the 10 s Lease interval.
const { cluster, ok, fails } = clusterPerFile(['--node-monitor-grace-period', '20s']);

/** Polls until `check` returns a value (not undefined); fails after 60 s. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const json = async (args: string[]) => JSON.parse(await ok([...args, '-o', 'json']));
const condition = (obj: { status?: { conditions?: { type: string; status: string; reason?: string }[] } }, type: string) => obj.status?.conditions?.find((c) => c.type === type);

function podManifest(name: string, node: string, restartPolicy = 'Always'): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, restartPolicy, containers: [{ name: 'app', image: 'busybox:1.36' }, { name: 'side', image: 'pause' }] },
  });
}

describe('tsk simulate', () => {
  let sim: SimulateProcess;
  before(async () => {
    sim = await startSimulate(cluster(), { nodes: 3 });
  });
  after(async () => {
    await sim?.kill();
  });

  test('registers the nodes Ready with kubelet labels, capacity, addresses and nodeInfo', async () => {
    const nodes = await json(['get', 'nodes', '-l', 'kubernetes.io/os=linux']);
    const byName = new Map<string, any>(nodes.items.map((n: any) => [n.metadata.name, n]));
    assert.deepEqual([...byName.keys()].filter((n) => n.startsWith('sim-')).sort(), ['sim-0', 'sim-1', 'sim-2']);
    const node = byName.get('sim-1');
    assert.equal(node.metadata.labels['kubernetes.io/hostname'], 'sim-1');
    assert.ok(['amd64', 'arm64'].includes(node.metadata.labels['kubernetes.io/arch']));
    assert.equal(node.status.capacity.pods, '110');
    assert.equal(node.status.allocatable.cpu, '4');
    assert.equal(node.status.nodeInfo.kubeletVersion, 'v1.33.0');
    assert.deepEqual(node.status.addresses.map((a: any) => a.type), ['InternalIP', 'Hostname']);
    assert.equal(condition(node, 'Ready')?.status, 'True');
    assert.equal(condition(node, 'Ready')?.reason, 'KubeletReady');
    assert.equal(condition(node, 'MemoryPressure')?.status, 'False');
    assert.match(await ok(['get', 'nodes']), /sim-2\s+Ready/);
  });

  test('renews each node\'s Lease in kube-node-lease', async () => {
    const first = await json(['get', 'lease', '-n', 'kube-node-lease', 'sim-0']);
    assert.equal(first.spec.holderIdentity, 'sim-0');
    assert.equal(first.metadata.ownerReferences[0].kind, 'Node');
    await eventually('a renewal of the sim-0 Lease', async () => {
      const now = await json(['get', 'lease', '-n', 'kube-node-lease', 'sim-0']);
      return Date.parse(now.spec.renewTime) > Date.parse(first.spec.renewTime) ? true : undefined;
    });
  });

  test('a pod bound to a simulated node becomes Running and Ready with a pod IP', async () => {
    await ok(['apply', '-f', '-'], podManifest('web', 'sim-0'));
    const pod = await eventually('pod web Running and Ready', async () => {
      const p = await json(['get', 'pod', 'web']);
      return p.status.phase === 'Running' && condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    for (const type of ['PodScheduled', 'Initialized', 'ContainersReady']) assert.equal(condition(pod, type)?.status, 'True', type);
    assert.match(pod.status.podIP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.deepEqual(pod.status.podIPs, [{ ip: pod.status.podIP }]);
    const node = await json(['get', 'node', 'sim-0']);
    assert.equal(pod.status.hostIP, node.status.addresses[0].address);
    // The node IPAM controller gives each node a podCIDR; the address comes from it.
    const range = parseCidr4(node.spec.podCIDR);
    assert.ok(range, `sim-0 has no IPv4 podCIDR: ${JSON.stringify(node.spec)}`);
    const ip = parseIp4(pod.status.podIP)!;
    assert.ok(ip > range.base && ip < range.base + range.size, `${pod.status.podIP} is outside ${node.spec.podCIDR}`);
    assert.deepEqual(pod.status.containerStatuses.map((c: any) => [c.name, c.ready, c.started, c.restartCount, !!c.state.running]), [
      ['app', true, true, 0, true],
      ['side', true, true, 0, true],
    ]);
    assert.match(await ok(['get', 'pod', 'web']), /web\s+2\/2\s+Running/);
  });

  test('pods on the same node get different addresses', async () => {
    await ok(['apply', '-f', '-'], podManifest('web2', 'sim-0'));
    const ip = await eventually('pod web2 with an IP', async () => (await json(['get', 'pod', 'web2'])).status.podIP);
    const first = await eventually('pod web with an IP', async () => (await json(['get', 'pod', 'web'])).status.podIP);
    assert.notEqual(ip, first);
  });

  test('a hostNetwork pod has the node\'s address', async () => {
    const manifest = JSON.parse(podManifest('hostnet', 'sim-2'));
    manifest.spec.hostNetwork = true;
    await ok(['apply', '-f', '-'], JSON.stringify(manifest));
    const pod = await eventually('pod hostnet Running', async () => {
      const p = await json(['get', 'pod', 'hostnet']);
      return p.status.phase === 'Running' ? p : undefined;
    });
    assert.equal(pod.status.podIP, pod.status.hostIP);
  });

  test('a restartPolicy Never pod succeeds', async () => {
    await ok(['apply', '-f', '-'], podManifest('once', 'sim-2', 'Never'));
    const pod = await eventually('pod once Succeeded', async () => {
      const p = await json(['get', 'pod', 'once']);
      return p.status.phase === 'Succeeded' ? p : undefined;
    });
    assert.equal(condition(pod, 'Ready')?.status, 'False');
    assert.deepEqual(pod.status.containerStatuses.map((c: any) => [c.state.terminated?.exitCode, c.state.terminated?.reason]), [[0, 'Completed'], [0, 'Completed']]);
    assert.match(await ok(['get', 'pod', 'once']), /once\s+0\/2\s+Completed/);
  });

  test('deleting a pod completes (the simulated kubelet finishes it)', async () => {
    await ok(['apply', '-f', '-'], podManifest('doomed', 'sim-1'));
    await eventually('pod doomed Running', async () => ((await json(['get', 'pod', 'doomed'])).status.phase === 'Running' ? true : undefined));
    // kubectl waits for the pod to be gone; without a kubelet it would stay Terminating for 30 s and more.
    await ok(['delete', 'pod', 'doomed', '--timeout=60s']);
    assert.match(await fails(['get', 'pod', 'doomed']), /NotFound|not found/);
  });

  test('a wrong token is refused with a one-line message naming --token', async () => {
    const token = joinToken(cluster()).replace(/::server:.*$/, '::server:not-the-secret');
    const r = await runTsk(['simulate', '--server', cluster().url, '--token', token, '--nodes', '1', '--name-prefix', 'bad-']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tsk: --token: the server refused the join token \(HTTP 401\)\n$/m);
    assert.match(await fails(['get', 'node', 'bad-0']), /not found/);
  });

  test('stopping simulate ends the process and leaves the nodes registered', async () => {
    await sim.stop();
    assert.equal(await sim.process.exited, 0);
    assert.match(sim.process.stderr(), /stopped the heartbeats of 3 nodes/);
    const nodes = await json(['get', 'nodes']);
    assert.deepEqual(nodes.items.map((n: any) => n.metadata.name).filter((n: string) => n.startsWith('sim-')).sort(), ['sim-0', 'sim-1', 'sim-2']);
    assert.equal((await json(['get', 'lease', '-n', 'kube-node-lease', 'sim-0'])).spec.holderIdentity, 'sim-0');
  });

  test('a restarted simulate reports its nodes and their pods Ready again', async () => {
    const before = await json(['get', 'pod', 'web']);
    // Without heartbeats the node lifecycle controller marks the node's pods not Ready.
    await eventually('pod web marked not Ready', async () => (condition(await json(['get', 'pod', 'web']), 'Ready')?.status === 'False' ? true : undefined));
    sim = await startSimulate(cluster(), { nodes: 3 });
    const pod = await eventually('pod web Ready again', async () => {
      const p = await json(['get', 'pod', 'web']);
      return condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.status.podIP, before.status.podIP);
    assert.equal(pod.status.startTime, before.status.startTime);
    await eventually('node sim-0 Ready', async () => (condition(await json(['get', 'node', 'sim-0']), 'Ready')?.status === 'True' ? true : undefined));
  });
});
