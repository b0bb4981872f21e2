/**
 * The DaemonSet controller through the real binary, its scheduler, simulated nodes and kubectl:
 * one pod per node (bound by the scheduler through the controller's node affinity), tainted
 * nodes skipped unless tolerated, a node that joins gets its pod, and `kubectl set image` →
 * `rollout status` → `rollout history` → `rollout undo`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { until as waitUntil } from './lib/until.ts';

const { cluster, ok } = clusterPerFile();
let nodes: SimulateProcess | undefined;

/** Controllers here may take longer than the shared default. */
const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => waitUntil(what, check, 90_000);

const daemonSet = (name: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }], ...extra } },
    },
  });

interface DaemonPod {
  name: string;
  node: string;
  ready: string;
  image: string;
}

async function podsOf(app: string): Promise<DaemonPod[]> {
  const out = await ok(['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.spec.nodeName} {.status.conditions[?(@.type=="Ready")].status} {.spec.containers[0].image}{"\\n"}{end}']);
  return out.split('\n').filter(Boolean).map((l) => {
    const [name, node, ready, image] = l.split(' ');
    return { name: name!, node: node ?? '', ready: ready ?? '', image: image ?? '' };
  });
}

/** Waits until the app has exactly one Ready pod on each of `want` nodes (and no other pod). */
async function readyOn(app: string, want: string[]): Promise<DaemonPod[]> {
  return until(`${app} ready on ${want.join(',')}`, async () => {
    const pods = await podsOf(app);
    const nodesOf = pods.map((p) => p.node).sort();
    return JSON.stringify(nodesOf) === JSON.stringify([...want].sort()) && pods.every((p) => p.ready === 'True') ? pods : undefined;
  });
}

describe('DaemonSet controller', () => {
  before(async () => {
    nodes = await startSimulate(cluster(), { nodes: 3, namePrefix: 'ds-' });
  });
  after(async () => {
    await nodes?.stop();
  });

  it('runs one pod per node, placed through the scheduler, and reports it in status', async () => {
    await ok(['create', '-f', '-'], daemonSet('agent'));
    const pods = await readyOn('agent', ['ds-0', 'ds-1', 'ds-2']);
    const pinned = await ok(['get', 'pod', pods[0]!.name, '-o', 'jsonpath={.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]} {.metadata.labels.pod-template-generation} {.metadata.labels.controller-revision-hash}']);
    const [pinnedTo, generation, hash] = pinned.split(' ');
    assert.equal(pinnedTo, pods[0]!.node);
    assert.equal(generation, '1');
    assert.ok(hash);
    await until('status of 3 ready', async () => {
      const s = await ok(['get', 'ds', 'agent', '-o', 'jsonpath={.status.desiredNumberScheduled} {.status.currentNumberScheduled} {.status.numberReady} {.status.numberAvailable} {.status.updatedNumberScheduled} {.status.observedGeneration}']);
      return s === '3 3 3 3 3 1' ? s : undefined;
    });
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=agent,reason=SuccessfulCreate', '-o', 'jsonpath={range .items[*]}{.message} {.source.component}{"\\n"}{end}']);
    assert.equal(events.match(/^Created pod: agent-[a-z0-9]{5} daemonset-controller$/gm)?.length, 3);
  });

  it('skips a tainted node unless the template tolerates the taint, and follows the taint when it goes', async () => {
    await ok(['taint', 'nodes', 'ds-1', 'dedicated=db:NoSchedule']);
    await ok(['create', '-f', '-'], daemonSet('picky'));
    await ok(['create', '-f', '-'], daemonSet('tolerant', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }));
    await readyOn('tolerant', ['ds-0', 'ds-1', 'ds-2']);
    await readyOn('picky', ['ds-0', 'ds-2']);
    await until('picky desires 2 nodes', async () => ((await ok(['get', 'ds', 'picky', '-o', 'jsonpath={.status.desiredNumberScheduled} {.status.numberReady}'])) === '2 2' ? true : undefined));
    // A NoSchedule taint keeps new daemons off but lets the running one stay.
    assert.deepEqual((await podsOf('agent')).map((p) => p.node).sort(), ['ds-0', 'ds-1', 'ds-2']);
    await ok(['taint', 'nodes', 'ds-1', 'dedicated-']);
    await readyOn('picky', ['ds-0', 'ds-1', 'ds-2']);
  });

  it('gives a node that joins its pod', async () => {
    const extra = await startSimulate(cluster(), { nodes: 1, namePrefix: 'late-' });
    try {
      await readyOn('agent', ['ds-0', 'ds-1', 'ds-2', 'late-0']);
      await until('status of 4', async () => ((await ok(['get', 'ds', 'agent', '-o', 'jsonpath={.status.desiredNumberScheduled} {.status.numberReady}'])) === '4 4' ? true : undefined));
    } finally {
      await extra.stop();
    }
    await ok(['delete', 'node', 'late-0']);
    await until('status of 3 after the node left', async () => ((await ok(['get', 'ds', 'agent', '-o', 'jsonpath={.status.desiredNumberScheduled}'])) === '3' ? true : undefined));
    // The pod bound to the deleted node goes too (pod garbage collection).
    await readyOn('agent', ['ds-0', 'ds-1', 'ds-2']);
  });

  it('rolls a new image out, with rollout status, history and undo', async () => {
    await ok(['set', 'image', 'ds/agent', 'c=busybox:2']);
    const status = await ok(['rollout', 'status', 'ds/agent', '--timeout=90s']);
    assert.match(status, /daemon set "agent" successfully rolled out/);
    const pods = await readyOn('agent', ['ds-0', 'ds-1', 'ds-2']);
    assert.deepEqual(pods.map((p) => p.image), ['busybox:2', 'busybox:2', 'busybox:2']);
    const generations = await ok(['get', 'pods', '-l', 'app=agent', '-o', 'jsonpath={.items[*].metadata.labels.pod-template-generation}']);
    assert.deepEqual(generations.split(' '), ['2', '2', '2']);
    const history = await ok(['rollout', 'history', 'ds/agent']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
    const revisions = await ok(['get', 'controllerrevisions', '-l', 'app=agent', '-o', 'jsonpath={range .items[*]}{.revision} {.metadata.ownerReferences[0].name}{"\\n"}{end}']);
    assert.deepEqual(revisions.split('\n').filter(Boolean).sort(), ['1 agent', '2 agent']);

    await ok(['rollout', 'undo', 'ds/agent']);
    assert.match(await ok(['rollout', 'status', 'ds/agent', '--timeout=90s']), /successfully rolled out/);
    const back = await readyOn('agent', ['ds-0', 'ds-1', 'ds-2']);
    assert.deepEqual(back.map((p) => p.image), ['busybox:1', 'busybox:1', 'busybox:1']);
    // The first template came back: its revision is renumbered, not copied.
    const after = await ok(['get', 'controllerrevisions', '-l', 'app=agent', '-o', 'jsonpath={.items[*].revision}']);
    assert.deepEqual(after.split(' ').sort(), ['2', '3']);
  });
});
