/**
 * The ReplicaSet controller through the real binary and kubectl, without running pods (no
 * scheduler or nodes needed): pods created from the template with their owner reference,
 * status.replicas, orphans adopted, pods that stop matching released, deleted pods replaced,
 * scaling down.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';

const { ok } = clusterPerFile(['--disable-scheduler']);

/** Polls `check` until it returns a value (not undefined) or 60 s pass. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const replicaSet = (name: string, replicas: number) => JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name, extra: 'yes' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
  },
});

interface PodInfo {
  name: string;
  owner: string;
  controller: string;
}

async function podsOf(app: string): Promise<PodInfo[]> {
  const out = await ok(['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.ownerReferences[0].name} {.metadata.ownerReferences[0].controller}{"\\n"}{end}']);
  return out.split('\n').filter(Boolean).map((l) => {
    const [name, owner, controller] = l.split(' ');
    return { name: name!, owner: owner ?? '', controller: controller ?? '' };
  });
}

async function podCount(app: string, want: number): Promise<PodInfo[]> {
  return until(`${want} pods of ${app}`, async () => {
    const pods = await podsOf(app);
    return pods.length === want ? pods : undefined;
  });
}

describe('ReplicaSet controller', () => {
  it('creates pods from the template, owned by the ReplicaSet, and counts them in status', async () => {
    await ok(['create', '-f', '-'], replicaSet('web', 3));
    const pods = await podCount('web', 3);
    for (const p of pods) {
      assert.match(p.name, /^web-[a-z0-9]{5}$/);
      assert.equal(p.owner, 'web');
      assert.equal(p.controller, 'true');
    }
    const labels = await ok(['get', 'pod', pods[0]!.name, '-o', 'jsonpath={.metadata.labels.extra} {.metadata.ownerReferences[0].blockOwnerDeletion}']);
    assert.equal(labels, 'yes true');
    await until('status.replicas 3', async () => ((await ok(['get', 'rs', 'web', '-o', 'jsonpath={.status.replicas} {.status.fullyLabeledReplicas} {.status.observedGeneration}'])) === '3 3 1' ? true : undefined));
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=web,reason=SuccessfulCreate', '-o', 'jsonpath={range .items[*]}{.message} {.source.component}{"\\n"}{end}']);
    assert.match(events, /^Created pod: web-[a-z0-9]{5} replicaset-controller$/m);
  });

  it('replaces a deleted pod and scales up and down', async () => {
    const [first] = await podsOf('web');
    await ok(['delete', 'pod', first!.name, '--wait=false']);
    const after = await until('a replacement pod', async () => {
      const pods = await podsOf('web');
      return pods.length === 3 && !pods.some((p) => p.name === first!.name) ? pods : undefined;
    });
    assert.equal(after.length, 3);
    await ok(['scale', 'rs', 'web', '--replicas', '5']);
    await podCount('web', 5);
    await ok(['scale', 'rs', 'web', '--replicas', '1']);
    await podCount('web', 1);
    await until('status.replicas 1', async () => ((await ok(['get', 'rs', 'web', '-o', 'jsonpath={.status.replicas}'])) === '1' ? true : undefined));
  });

  it('adopts a matching orphan instead of creating a pod, and releases a pod that stops matching', async () => {
    await ok(['run', 'stray', '--image', 'busybox', '--labels', 'app=adopter']);
    await ok(['create', '-f', '-'], replicaSet('adopter', 2));
    const pods = await podCount('adopter', 2);
    const stray = pods.find((p) => p.name === 'stray');
    assert.ok(stray, 'the orphan is one of the two replicas');
    assert.equal(stray.owner, 'adopter');
    // Relabelled: released (no owner any more) and replaced by a new pod.
    await ok(['label', 'pod', 'stray', 'app=gone', '--overwrite']);
    await until('stray released', async () => ((await ok(['get', 'pod', 'stray', '-o', 'jsonpath={.metadata.ownerReferences}'])) === '' ? true : undefined));
    const again = await podCount('adopter', 2);
    assert.ok(!again.some((p) => p.name === 'stray'));
  });
});
