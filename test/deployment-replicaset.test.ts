/**
 * The ReplicaSet controller through the real binary and kubectl, without running pods (no
 * scheduler or nodes needed): pods created from the template with their owner reference,
 * status.replicas, orphans adopted, pods that stop matching released, deleted pods replaced,
 * scaling down.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { until } from './lib/until.ts';

const { ok } = clusterPerFile(['--disable-scheduler']);

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

  it('reports pods refused by a quota as ReplicaFailure on the ReplicaSet and its Deployment, and recovers', async () => {
    await ok(['create', 'namespace', 'tight']);
    await ok(['create', 'quota', 'two-pods', '--hard=pods=2', '-n', 'tight']);
    await until('quota status', async () => ((await ok(['get', 'quota', 'two-pods', '-n', 'tight', '-o', 'jsonpath={.status.hard.pods}'])) === '2' ? true : undefined));
    await ok(['create', 'deployment', 'capped', '--image=busybox', '--replicas=3', '-n', 'tight']);
    const failure = await until('ReplicaFailure on the Deployment', async () => {
      const out = await ok(['get', 'deploy', 'capped', '-n', 'tight', '-o', 'jsonpath={.status.conditions[?(@.type=="ReplicaFailure")].status}/{.status.conditions[?(@.type=="ReplicaFailure")].reason}/{.status.conditions[?(@.type=="ReplicaFailure")].message}']);
      return out.startsWith('True/') ? out : undefined;
    });
    assert.match(failure, /^True\/FailedCreate\/pods "capped-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: two-pods/);
    const rsFailure = await ok(['get', 'rs', '-n', 'tight', '-l', 'app=capped', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="ReplicaFailure")].reason} {.items[0].status.replicas}']);
    assert.equal(rsFailure, 'FailedCreate 2');
    const events = await ok(['get', 'events', '-n', 'tight', '--field-selector', 'reason=FailedCreate', '-o', 'jsonpath={range .items[*]}{.type} {.message}{"\\n"}{end}']);
    assert.match(events, /^Warning Error creating: pods "capped-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: two-pods/m);
    await ok(['patch', 'quota', 'two-pods', '-n', 'tight', '--type=merge', '-p', '{"spec":{"hard":{"pods":"3"}}}']);
    await until('three pods and no ReplicaFailure', async () => {
      const out = await ok(['get', 'deploy', 'capped', '-n', 'tight', '-o', 'jsonpath={.status.replicas}/{.status.conditions[?(@.type=="ReplicaFailure")].status}']);
      return out === '3/' ? true : undefined;
    });
  });
});
