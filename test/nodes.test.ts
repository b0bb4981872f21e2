/**
 * Node lifecycle, taint-based eviction and node IPAM through the real binary, real kubectl and
 * two `tsk simulate` processes (nodes a-0, a-1 and b-0, b-1), with short timeouts: a node is
 * Unknown 20 s after its last heartbeat (simulated nodes renew their Lease every 10 s, as
 * kubelet does: a grace period shorter than that makes healthy nodes flap) and pods tolerate an
 * unreachable node for 3 s. Further clusters cover what needs a cluster of its own: every node
 * down (no NoExecute taint), IPAM across a restart, and an IPAM pool that runs out.
 * Killing the a- simulate is a power cut for its nodes; starting it again brings them back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile, startCluster, type TestCluster } from './lib/cluster.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { startTsk, type TskProcess } from './lib/tsk.ts';
import { until as waitUntil } from './lib/until.ts';

const SHORT_TIMEOUTS = [
  '--node-monitor-grace-period', '20s',
  '--default-not-ready-toleration-seconds', '3',
  '--default-unreachable-toleration-seconds', '3',
];
const { cluster, ok } = clusterPerFile(SHORT_TIMEOUTS);

const UNREACHABLE = 'node.kubernetes.io/unreachable';

/** Controllers here may take longer than the shared default. */
const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => waitUntil(what, check, 90_000);

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Taint {
  key: string;
  effect: string;
  timeAdded?: string;
}
interface Obj {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { podCIDR?: string; podCIDRs?: string[]; taints?: Taint[]; nodeName?: string };
  status: { conditions?: Condition[] };
}

/** `kubectl get ARGS -o json` on the file's cluster, or on `on`. */
async function getJson<T = Obj>(args: string[], on?: TestCluster): Promise<T> {
  if (!on) return JSON.parse(await ok(['get', ...args, '-o', 'json'])) as T;
  const r = await on.kubectl(['get', ...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

const cond = (o: Obj, type: string) => o.status.conditions?.find((c) => c.type === type);
const taintsOf = (n: Obj) => (n.spec.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();

const replicaSet = JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'moved' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'moved' } },
    template: { metadata: { labels: { app: 'moved' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
  },
});

function pod(name: string, node: string, tolerations: object[] = []): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { test: 'nodes' } },
    spec: { nodeName: node, tolerations, containers: [{ name: 'c', image: 'busybox' }] },
  });
}

let simA: SimulateProcess | undefined;
let simB: SimulateProcess | undefined;

/** The simulated nodes are started once the cluster is up (the file's own before hook). */
async function simulated(): Promise<void> {
  simA ??= await startSimulate(cluster(), { nodes: 2, namePrefix: 'a-' });
  simB ??= await startSimulate(cluster(), { nodes: 2, namePrefix: 'b-' });
}

after(async () => {
  await simA?.kill();
  await simB?.kill();
});

describe('node IPAM', () => {
  before(simulated);

  it('gives every node its own /24 of the cluster CIDR', async () => {
    const cidrs = await until('a podCIDR on all four nodes', async () => {
      const list = await getJson<{ items: Obj[] }>(['nodes']);
      if (list.items.length !== 4 || list.items.some((n) => !n.spec.podCIDR)) return undefined;
      return list.items.map((n) => {
        assert.deepEqual(n.spec.podCIDRs, [n.spec.podCIDR], `${n.metadata.name}: podCIDRs holds podCIDR`);
        return n.spec.podCIDR!;
      });
    });
    for (const c of cidrs) assert.match(c, /^10\.42\.\d{1,3}\.0\/24$/);
    assert.equal(new Set(cidrs).size, 4, `distinct ranges: ${cidrs.join(', ')}`);
  });

  it('records RegisteredNode for each node', async () => {
    await until('RegisteredNode events', async () => {
      const out = await ok(['get', 'events', '-n', 'default', '--field-selector', 'reason=RegisteredNode', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
      return out.includes('Node b-1 event: Registered Node b-1 in Controller') && out.includes('Node a-0 event: Registered Node a-0 in Controller') ? true : undefined;
    });
  });
});

describe('kubectl taint with NoExecute', () => {
  before(simulated);

  it('evicts pods that do not tolerate it at once, and cancels the scheduled eviction of those that do when it goes', async () => {
    await ok(['create', '-f', '-'], pod('victim', 'b-1'));
    await ok(['create', '-f', '-'], pod('patient', 'b-1', [{ key: 'maintenance', operator: 'Equal', value: 'now', effect: 'NoExecute', tolerationSeconds: 3600 }]));
    await until('both pods Ready', async () => {
      const pods = await Promise.all(['victim', 'patient'].map((n) => getJson(['pod', n])));
      return pods.every((p) => cond(p, 'Ready')?.status === 'True') ? true : undefined;
    });
    await ok(['taint', 'node', 'b-1', 'maintenance=now:NoExecute']);
    // b-1's kubelet is alive: the eviction completes and the pod is gone.
    await until('victim gone', async () => {
      const r = await cluster().kubectl(['get', 'pod', 'victim']);
      return r.code !== 0 && r.stderr.includes('NotFound') ? true : undefined;
    });
    await ok(['taint', 'node', 'b-1', 'maintenance-']);
    await until('the cancel event', async () => {
      const out = await ok(['get', 'events', '--field-selector', 'involvedObject.name=patient,reason=TaintManagerEviction', '-o', 'jsonpath={.items[*].message}']);
      return out.includes('Cancelling deletion of Pod default/patient') ? true : undefined;
    });
    const patient = await getJson(['pod', 'patient']);
    assert.equal(patient.metadata.deletionTimestamp, undefined);
    assert.equal(cond(patient, 'DisruptionTarget'), undefined);
    await ok(['delete', 'pod', 'patient']);
  });
});

describe('a node that stops heartbeating', () => {
  before(simulated);
  it('goes Unknown and unreachable, its pods are marked not Ready and evicted after their tolerationSeconds and replaced elsewhere, and it recovers', async (t) => {
    await ok(['create', '-f', '-'], pod('short', 'a-0'));
    // Tolerates the unreachable taint without tolerationSeconds: never evicted for it.
    await ok(['create', '-f', '-'], pod('stays', 'a-0', [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]));
    await ok(['create', '-f', '-'], pod('elsewhere', 'b-0'));
    await until('the pods Ready', async () => {
      const pods = await getJson<{ items: Obj[] }>(['pods', '-l', 'test=nodes']);
      return pods.items.length === 3 && pods.items.every((p) => cond(p, 'Ready')?.status === 'True') ? true : undefined;
    });
    // The ReplicaSet's pods start on a- nodes: the b- nodes are cordoned until they are running.
    await ok(['cordon', 'b-0', 'b-1']);
    await until('b-0 tainted unschedulable', async () => (taintsOf(await getJson(['node', 'b-0'])).includes('node.kubernetes.io/unschedulable:NoSchedule') ? true : undefined));
    await ok(['create', '-f', '-'], replicaSet);
    await until('the ReplicaSet running on a- nodes', async () => {
      const pods = await getJson<{ items: Obj[] }>(['pods', '-l', 'app=moved']);
      return pods.items.length === 2 && pods.items.every((p) => p.spec.nodeName?.startsWith('a-') && cond(p, 'Ready')?.status === 'True') ? true : undefined;
    });
    await ok(['uncordon', 'b-0', 'b-1']);

    await simA!.stop();
    const killedAt = Date.now();

    const node = await until('a-0 Unknown with the unreachable taints', async () => {
      const n = await getJson(['node', 'a-0']);
      const ready = cond(n, 'Ready');
      return ready?.status === 'Unknown' && taintsOf(n).includes(`${UNREACHABLE}:NoExecute`) ? n : undefined;
    });
    assert.equal(cond(node, 'Ready')?.reason, 'NodeStatusUnknown');
    assert.equal(cond(node, 'Ready')?.message, 'Kubelet stopped posting node status.');
    assert.equal(cond(node, 'MemoryPressure')?.status, 'Unknown');
    assert.deepEqual(taintsOf(node), [`${UNREACHABLE}:NoExecute`, `${UNREACHABLE}:NoSchedule`]);
    assert.ok(node.spec.taints!.find((t) => t.effect === 'NoExecute')!.timeAdded, 'the NoExecute taint carries timeAdded');

    const evicted = await until('pod short evicted', async () => {
      const p = await getJson(['pod', 'short']);
      return p.metadata.deletionTimestamp ? p : undefined;
    });
    const disruption = cond(evicted, 'DisruptionTarget');
    assert.equal(disruption?.status, 'True');
    assert.equal(disruption?.reason, 'DeletionByTaintManager');
    assert.equal(disruption?.message, 'Taint manager: deleting due to NoExecute taint');

    await until('pod stays marked not Ready', async () => (cond(await getJson(['pod', 'stays']), 'Ready')?.status === 'False' ? true : undefined));
    const stays = await getJson(['pod', 'stays']);
    assert.equal(stays.metadata.deletionTimestamp, undefined, 'a pod tolerating the taint forever is not evicted');

    const a1 = await until('a-1 Unknown and tainted too', async () => {
      const n = await getJson(['node', 'a-1']);
      return taintsOf(n).includes(`${UNREACHABLE}:NoExecute`) ? n : undefined;
    });
    assert.equal(cond(a1, 'Ready')?.status, 'Unknown');
    for (const name of ['b-0', 'b-1']) {
      const b = await getJson(['node', name]);
      assert.equal(cond(b, 'Ready')?.status, 'True', `${name} stays Ready`);
      assert.deepEqual(taintsOf(b), [], `${name} stays untainted`);
    }
    assert.equal((await getJson(['pod', 'elsewhere'])).metadata.deletionTimestamp, undefined, 'pods of healthy nodes stay');

    // Evicted pods of a dead node stay Terminating (no kubelet confirms); the ReplicaSet replaces them on b- nodes.
    const moved = await until('the ReplicaSet running again on b- nodes', async () => {
      const pods = await getJson<{ items: Obj[] }>(['pods', '-l', 'app=moved']);
      const live = pods.items.filter((p) => !p.metadata.deletionTimestamp);
      return live.length === 2 && live.every((p) => p.spec.nodeName?.startsWith('b-') && cond(p, 'Ready')?.status === 'True') ? pods.items : undefined;
    });
    // A figure for the README (grace 20 s + tolerationSeconds 3 s is the floor), not a threshold.
    t.diagnostic(`node death to replacement pods Ready elsewhere: ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
    const terminating = moved.filter((p) => p.metadata.deletionTimestamp);
    assert.ok(terminating.length > 0 && terminating.every((p) => p.spec.nodeName?.startsWith('a-')), 'the evicted pods are the a- ones');

    const events = await ok(['get', 'events', '-A', '-o', 'jsonpath={range .items[*]}{.involvedObject.name} {.reason} {.message}{"\\n"}{end}']);
    assert.match(events, /^a-0 NodeNotReady Node a-0 status is now: NodeNotReady$/m);
    assert.match(events, /^stays NodeNotReady Node is not ready$/m);
    assert.match(events, /^short TaintManagerEviction Marking for deletion Pod default\/short$/m);

    simA = await startSimulate(cluster(), { nodes: 2, namePrefix: 'a-' });
    for (const name of ['a-0', 'a-1']) {
      await until(`${name} Ready without taints`, async () => {
        const n = await getJson(['node', name]);
        return cond(n, 'Ready')?.status === 'True' && taintsOf(n).length === 0 ? true : undefined;
      });
    }
    // The node's kubelet is back and confirms the deletions that waited for it.
    await until('pod short gone', async () => {
      const r = await cluster().kubectl(['get', 'pod', 'short']);
      return r.code !== 0 && r.stderr.includes('NotFound') ? true : undefined;
    });
    await until('only the replacements left', async () => ((await getJson<{ items: Obj[] }>(['pods', '-l', 'app=moved'])).items.length === 2 ? true : undefined));
  });
});

describe('a cluster whose every node is down', () => {
  let solo: TestCluster | undefined;
  const sims: SimulateProcess[] = [];
  before(async () => {
    solo = await startCluster(SHORT_TIMEOUTS);
  });
  after(async () => {
    for (const sim of sims) await sim.kill();
    await solo?.stop();
  });

  it('gets no NoExecute taint (the control plane may be the one cut off) until a Ready node joins', async () => {
    const c = solo!;
    sims.push(await startSimulate(c, { nodes: 1, namePrefix: 'solo-' }));
    const r = await c.kubectl(['create', '-f', '-'], { input: pod('p', 'solo-0') });
    assert.equal(r.code, 0, r.stderr);
    await until('pod p Ready', async () => (cond(await getJson(['pod', 'p'], c), 'Ready')?.status === 'True' ? true : undefined));
    await sims[0]!.stop();

    // The NoSchedule taint and the NoExecute one are decided and written together.
    const node = await until('solo-0 Unknown and tainted', async () => {
      const n = await getJson(['node', 'solo-0'], c);
      return cond(n, 'Ready')?.status === 'Unknown' && taintsOf(n).length > 0 ? n : undefined;
    });
    assert.deepEqual(taintsOf(node), [`${UNREACHABLE}:NoSchedule`]);
    assert.equal((await getJson(['pod', 'p'], c)).metadata.deletionTimestamp, undefined);

    sims.push(await startSimulate(c, { nodes: 1, namePrefix: 'more-' }));
    await until('solo-0 tainted NoExecute', async () => (taintsOf(await getJson(['node', 'solo-0'], c)).includes(`${UNREACHABLE}:NoExecute`) ? true : undefined));
    await until('pod p evicted', async () => ((await getJson(['pod', 'p'], c)).metadata.deletionTimestamp ? true : undefined));
  });
});

describe('node IPAM across a server restart', () => {
  let c: TestCluster | undefined;
  let restarted: TskProcess | undefined;
  const sims: SimulateProcess[] = [];
  before(async () => {
    c = await startCluster();
  });
  after(async () => {
    for (const sim of sims) await sim.kill();
    await restarted?.kill();
    await c?.stop();
  });

  const cidrsOf = async (count: number) => until(`podCIDRs on ${count} nodes`, async () => {
    const list = await getJson<{ items: Obj[] }>(['nodes'], c);
    if (list.items.length !== count || list.items.some((n) => !n.spec.podCIDR)) return undefined;
    return new Map(list.items.map((n) => [n.metadata.name, n.spec.podCIDR!]));
  });

  it('keeps the ranges nodes hold and never hands one out twice', async () => {
    sims.push(await startSimulate(c!, { nodes: 2, namePrefix: 'r-' }));
    const before = await cidrsOf(2);
    await sims[0]!.stop();
    const del = await c!.kubectl(['delete', 'node', 'r-1']);
    assert.equal(del.code, 0, del.stderr);

    await c!.server.kill();
    restarted = startTsk(['server', '--disable-agent', '--data-dir', c!.dataDir, '--https-listen-port', String(c!.port), '--bind-address', '127.0.0.1']);
    await restarted.waitForLog(/serving the Kubernetes API/, 30_000);

    sims.push(await startSimulate(c!, { nodes: 3, namePrefix: 'r-' }));
    const afterRestart = await cidrsOf(3);
    assert.equal(afterRestart.get('r-0'), before.get('r-0'), 'r-0 keeps its range');
    assert.equal(new Set(afterRestart.values()).size, 3, `distinct ranges: ${[...afterRestart.values()].join(', ')}`);
  });
});

describe('node IPAM with a small cluster CIDR', () => {
  let c: TestCluster | undefined;
  let sim: SimulateProcess | undefined;
  before(async () => {
    c = await startCluster(['--cluster-cidr', '10.42.0.0/23']);
  });
  after(async () => {
    await sim?.kill();
    await c?.stop();
  });

  it('reports CIDRNotAvailable when the ranges run out, and serves the node once one is freed', async () => {
    sim = await startSimulate(c!, { nodes: 3, namePrefix: 'x-' });
    const starved = await until('two nodes with ranges, one without', async () => {
      const list = await getJson<{ items: Obj[] }>(['nodes'], c);
      const without = list.items.filter((n) => !n.spec.podCIDR);
      return list.items.length === 3 && without.length === 1 ? without[0]!.metadata.name : undefined;
    });
    await until('the CIDRNotAvailable event', async () => {
      const r = await c!.kubectl(['get', 'events', '-n', 'default', '--field-selector', `involvedObject.name=${starved},reason=CIDRNotAvailable`, '-o', 'jsonpath={.items[*].message}']);
      return r.stdout.includes(`Node ${starved} status is now: CIDRNotAvailable`) ? true : undefined;
    });
    const other = ['x-0', 'x-1', 'x-2'].find((n) => n !== starved)!;
    const freed = (await getJson(['node', other], c)).spec.podCIDR;
    const del = await c!.kubectl(['delete', 'node', other]);
    assert.equal(del.code, 0, del.stderr);
    await until(`${starved} gets the freed range`, async () => ((await getJson(['node', starved], c)).spec.podCIDR === freed ? true : undefined));
  });
});

describe('a node whose kubelet reports Ready=False', () => {
  before(simulated);

  const setReady = (status: string, reason: string) => ok(['patch', 'node', 'a-1', '--subresource=status', '--type=merge', '-p', JSON.stringify({
    status: { conditions: [{ type: 'Ready', status, reason, message: reason, lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] },
  })]);

  it('gets the not-ready taints, loses pods after their tolerationSeconds, and is untainted when Ready again', async () => {
    await until('a-1 Ready', async () => (cond(await getJson(['node', 'a-1']), 'Ready')?.status === 'True' ? true : undefined));
    await ok(['create', '-f', '-'], pod('on-sick-node', 'a-1'));
    await until('pod Ready', async () => (cond(await getJson(['pod', 'on-sick-node']), 'Ready')?.status === 'True' ? true : undefined));

    // What a kubelet posts when, say, its container runtime is down; its Lease keeps being renewed.
    await setReady('False', 'KubeletNotReady');
    const sick = await until('a-1 tainted not-ready', async () => {
      const n = await getJson(['node', 'a-1']);
      return taintsOf(n).includes('node.kubernetes.io/not-ready:NoExecute') ? n : undefined;
    });
    assert.deepEqual(taintsOf(sick), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
    assert.equal(cond(sick, 'Ready')?.status, 'False', 'a node that heartbeats is not made Unknown');
    // The kubelet (simulated) is alive, so the evicted pod is gone for good.
    await until('pod on-sick-node gone', async () => {
      const r = await cluster().kubectl(['get', 'pod', 'on-sick-node']);
      return r.code !== 0 && r.stderr.includes('NotFound') ? true : undefined;
    });

    await setReady('True', 'KubeletReady');
    await until('a-1 untainted', async () => (taintsOf(await getJson(['node', 'a-1'])).length === 0 ? true : undefined));
  });
});
