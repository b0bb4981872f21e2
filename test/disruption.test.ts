/**
 * PodDisruptionBudgets through the real binary, `tsk simulate` and kubectl: the disruption
 * controller's status (from pod counts and from the owning ReplicaSet's scale), and
 * `kubectl drain` evicting through the eviction API — blocked with kubectl's retry message
 * while the budget allows no disruption, completing once it does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { until } from './lib/until.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';

const { cluster, ok } = clusterPerFile();

/** A ReplicaSet whose pods are bound to `node` directly (no scheduler needed). */
const replicaSet = (name: string, replicas: number, node: string) => JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox' }] } },
  },
});

const budget = (name: string, spec: Record<string, unknown>) => JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { selector: { matchLabels: { app: name } }, ...spec } });

interface BudgetStatus {
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
  observedGeneration: number;
  conditions: { type: string; status: string; reason: string }[];
}

async function status(name: string): Promise<BudgetStatus & { generation: number }> {
  const pdb = JSON.parse(await ok(['get', 'pdb', name, '-o', 'json']));
  return { ...pdb.status, generation: pdb.metadata.generation };
}

async function runningPods(app: string): Promise<number> {
  const out = await ok(['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.status.phase}{" "}{end}']);
  return out.split(' ').filter((p) => p === 'Running').length;
}

describe('pod disruption budgets', () => {
  let sim: SimulateProcess | undefined;
  // Inside the suite: a top-level before() races clusterPerFile's on Node 20.
  before(async () => {
    sim = await startSimulate(cluster(), { nodes: 2, namePrefix: 'pdb-' });
  });
  after(async () => {
    await sim?.kill();
  });

  it('reports status from the selected pods (minAvailable) and from the ReplicaSet scale (maxUnavailable)', async () => {
    await ok(['apply', '-f', '-'], replicaSet('counted', 3, 'pdb-1'));
    await until('3 running pods', async () => ((await runningPods('counted')) === 3 ? true : undefined));
    await ok(['apply', '-f', '-'], budget('counted', { minAvailable: 2 }));
    const s = await until('status of counted', async () => {
      const st = await status('counted');
      return st.currentHealthy === 3 && st.observedGeneration === st.generation ? st : undefined;
    });
    assert.deepEqual([s.expectedPods, s.currentHealthy, s.desiredHealthy, s.disruptionsAllowed], [3, 3, 2, 1]);
    assert.deepEqual(s.conditions.map((c) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'True', 'SufficientPods']]);

    await ok(['apply', '-f', '-'], budget('counted', { maxUnavailable: '50%' }));
    await ok(['scale', 'rs', 'counted', '--replicas=4']);
    const scaled = await until('status from the scale', async () => {
      const st = await status('counted');
      return st.expectedPods === 4 && st.currentHealthy === 4 ? st : undefined;
    });
    assert.deepEqual([scaled.desiredHealthy, scaled.disruptionsAllowed], [2, 2]);
    const table = await ok(['get', 'pdb', 'counted']);
    assert.match(table, /counted\s+N\/A\s+50%\s+2\s/);
  });

  it('lets kubectl drain evict only what the budget allows', async () => {
    await ok(['apply', '-f', '-'], replicaSet('drained', 2, 'pdb-0'));
    await until('2 running pods', async () => ((await runningPods('drained')) === 2 ? true : undefined));
    await ok(['apply', '-f', '-'], budget('drained', { minAvailable: 2 }));
    await until('no disruption allowed', async () => {
      const st = await status('drained');
      return st.currentHealthy === 2 && st.observedGeneration === st.generation ? st : undefined;
    });
    assert.equal((await status('drained')).disruptionsAllowed, 0);
    const blocked = await cluster().kubectl(['drain', 'pdb-0', '--timeout=8s'], { timeoutMs: 60_000 });
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr, /error when evicting pods\/"drained-\w+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    assert.equal(await runningPods('drained'), 2);

    // One disruption at a time: each evicted pod is replaced (on the same node: the template binds it) before the next goes.
    await ok(['apply', '-f', '-'], budget('drained', { minAvailable: 1 }));
    await until('one disruption allowed', async () => ((await status('drained')).disruptionsAllowed === 1 ? true : undefined));
    const drained = await ok(['drain', 'pdb-0', '--timeout=50s'], { timeoutMs: 60_000 });
    assert.match(drained, /pod\/drained-\w+ evicted/);
    assert.match(drained, /node\/pdb-0 drained/);
    assert.match(await ok(['get', 'node', 'pdb-0']), /SchedulingDisabled/);
  });
  it('evicts a pod that is not Ready without spending a disruption when the budget is met without it', async () => {
    // A node without a kubelet: the pods' statuses are the test's to set.
    await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'pdb-static' } }));
    for (const [i, ready] of [[0, 'True'], [1, 'True'], [2, 'False']] as const) {
      const labels = { app: 'sick', ...(ready === 'False' ? { state: 'broken' } : {}) };
      await ok(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `sick-${i}`, labels }, spec: { nodeName: 'pdb-static', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox' }] } }));
      await ok(['patch', 'pod', `sick-${i}`, '--subresource=status', '--type=strategic', '-p', JSON.stringify({ status: { phase: 'Running', podIP: `10.42.251.${i + 1}`, conditions: [{ type: 'Ready', status: ready }] } })]);
    }
    await ok(['apply', '-f', '-'], budget('sick', { minAvailable: 2 }));
    await until('2 of 3 healthy, none to spare', async () => {
      const st = await status('sick');
      return st.expectedPods === 3 && st.currentHealthy === 2 && st.observedGeneration === st.generation ? st : undefined;
    });
    assert.equal((await status('sick')).disruptionsAllowed, 0);
    const drained = await ok(['drain', 'pdb-static', '--pod-selector=state=broken', '--force', '--timeout=30s'], { timeoutMs: 60_000 });
    assert.match(drained, /pod\/sick-2 evicted/);
    assert.equal((await cluster().kubectl(['get', 'pod', 'sick-2'])).code, 1);
    assert.equal((await status('sick')).disruptionsAllowed, 0);
  });
});

describe('draining a node under a Deployment with a budget', () => {
  let sim: SimulateProcess | undefined;
  before(async () => {
    sim = await startSimulate(cluster(), { nodes: 2, namePrefix: 'dep-' });
  });
  after(async () => {
    await sim?.kill();
  });

  it('evicts one pod at a time; the scheduler puts the replacements on the other node', async () => {
    const onDepNodes = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['dep-0', 'dep-1'] }] }] } } };
    await ok(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'spread' },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'spread' } },
        template: { metadata: { labels: { app: 'spread' } }, spec: { affinity: onDepNodes, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox' }] } },
      },
    }));
    await ok(['apply', '-f', '-'], budget('spread', { maxUnavailable: 1 }));
    await until('4 healthy pods counted from the Deployment', async () => {
      const st = await status('spread');
      return st.expectedPods === 4 && st.currentHealthy === 4 && st.disruptionsAllowed === 1 ? st : undefined;
    });
    // dep-1 must have room for everything: make sure dep-0 holds at least one pod to evict.
    const nodesOf = async () => (await ok(['get', 'pods', '-l', 'app=spread', '-o', 'jsonpath={range .items[*]}{.spec.nodeName} {.status.phase}{"\\n"}{end}'])).split('\n').filter(Boolean);
    const onDep0 = (await nodesOf()).filter((l) => l.startsWith('dep-0 ')).length;
    assert.ok(onDep0 > 0, 'the scheduler put no pod on dep-0');
    const drained = await ok(['drain', 'dep-0', '--timeout=55s'], { timeoutMs: 60_000 });
    assert.equal((drained.match(/pod\/spread-[\w-]+ evicted/g) ?? []).length, onDep0);
    assert.match(drained, /node\/dep-0 drained/);
    await until('4 pods running on dep-1', async () => {
      const lines = await nodesOf();
      return lines.length === 4 && lines.every((l) => l === 'dep-1 Running') ? true : undefined;
    });
  });
});

