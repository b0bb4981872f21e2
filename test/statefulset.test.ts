/**
 * The StatefulSet controller through the real binary, its scheduler, simulated nodes and
 * kubectl: ordered creation (each pod only after its predecessor is Ready, seen through a
 * `kubectl get -w` stream), claims per ordinal, a deleted pod recreated under its name, a
 * partitioned rolling update with `rollout status`, and scale-down from the highest ordinal.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile, kubectlBinary } from './lib/cluster.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { until as waitUntil } from './lib/until.ts';

const { cluster, ok } = clusterPerFile();
let nodes: SimulateProcess | undefined;

/** Controllers here may take longer than the shared default. */
const until = <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => waitUntil(what, check, 90_000);

/**
 * `kubectl get pods -w --output-watch-events` as lines "TYPE name ready deleting": what
 * happened to the set's pods, in the order the API server reported it. Resolves once the
 * first line (the initial list) is out, so nothing done afterwards is missed.
 */
async function watchPods(selector: string): Promise<{ lines: string[]; stop: () => void }> {
  const jsonpath = '{.type} {.object.metadata.name} {.object.status.conditions[?(@.type=="Ready")].status} {.object.metadata.deletionTimestamp}{"\\n"}';
  const child = spawn(kubectlBinary(), ['--kubeconfig', cluster().kubeconfig, 'get', 'pods', '-l', selector, '-w', '--output-watch-events', '-o', `jsonpath=${jsonpath}`], {
    env: { PATH: process.env.PATH, HOME: cluster().dataDir },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines: string[] = [];
  let partial = '';
  let first: () => void;
  const started = new Promise<void>((r) => (first = r));
  child.stdout.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts.map((l) => l.trim()).filter(Boolean));
    if (lines.length) first();
  });
  await started;
  return { lines, stop: () => child.kill('SIGKILL') };
}

const statefulSet = (replicas: number) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web' },
    spec: {
      serviceName: 'web',
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        // No node carries this label at first: web-0 stays Pending until the test labels them.
        spec: { nodeSelector: { 'web-allowed': 'yes' }, containers: [{ name: 'c', image: 'nginx:1', volumeMounts: [{ name: 'www', mountPath: '/www' }] }] },
      },
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  });

interface SetPod {
  name: string;
  ready: string;
  image: string;
  revision: string;
  uid: string;
}

async function pods(): Promise<SetPod[]> {
  const out = await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.spec.containers[0].image} {.metadata.labels.controller-revision-hash} {.metadata.uid}{"\\n"}{end}']);
  return out.split('\n').filter(Boolean).map((l) => {
    const [name, ready, image, revision, uid] = l.split(' ');
    return { name: name!, ready: ready!, image: image!, revision: revision!, uid: uid! };
  }).sort((a, b) => a.name.localeCompare(b.name));
}

async function readyPods(names: string[]): Promise<SetPod[]> {
  return until(`${names.join(',')} ready`, async () => {
    const now = await pods();
    return JSON.stringify(now.map((p) => p.name)) === JSON.stringify(names) && now.every((p) => p.ready === 'True') ? now : undefined;
  });
}

const status = (fields: string) => ok(['get', 'sts', 'web', '-o', `jsonpath=${fields}`]);

/** Index of the first watch line matching `re` (-1 if none). */
const firstLine = (lines: string[], re: RegExp) => lines.findIndex((l) => re.test(l));

describe('StatefulSet controller', () => {
  before(async () => {
    nodes = await startSimulate(cluster(), { nodes: 3, namePrefix: 'sts-' });
  });
  after(async () => {
    await nodes?.stop();
  });

  it('creates web-0, web-1, web-2 in order, each once its predecessor is Ready', async () => {
    await ok(['create', '-f', '-'], statefulSet(3));
    // The controller reported one pod: it has seen web-0 (unschedulable) and made no other.
    await until('status.replicas 1', async () => ((await status('{.status.replicas} {.status.observedGeneration}')) === '1 1' ? true : undefined));
    assert.deepEqual((await pods()).map((p) => p.name), ['web-0']);

    const watch = await watchPods('app=web');
    try {
      await ok(['label', 'nodes', 'sts-0', 'sts-1', 'sts-2', 'web-allowed=yes']);
      await readyPods(['web-0', 'web-1', 'web-2']);
    } finally {
      watch.stop();
    }
    const { lines } = watch;
    for (const [prev, next] of [['web-0', 'web-1'], ['web-1', 'web-2']]) {
      const prevReady = firstLine(lines, new RegExp(`^(ADDED|MODIFIED) ${prev} True`));
      const nextSeen = firstLine(lines, new RegExp(`^\\w+ ${next} `));
      assert.ok(prevReady >= 0 && nextSeen > prevReady, `${next} appeared before ${prev} was Ready:\n${lines.join('\n')}`);
    }
    const pod = await ok(['get', 'pod', 'web-1', '-o', 'jsonpath={.spec.hostname} {.spec.subdomain} {.metadata.labels.statefulset\\.kubernetes\\.io/pod-name} {.metadata.labels.apps\\.kubernetes\\.io/pod-index} {.spec.volumes[?(@.name=="www")].persistentVolumeClaim.claimName}']);
    assert.equal(pod, 'web-1 web web-1 1 www-web-1');
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=web,reason=SuccessfulCreate', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    for (const i of [0, 1, 2]) assert.match(events, new RegExp(`^create Pod web-${i} in StatefulSet web successful$`, 'm'));
  });

  it('creates one claim per template and ordinal, not owned under the default Retain policy', async () => {
    const claims = await ok(['get', 'pvc', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.app} {.metadata.ownerReferences}{"\\n"}{end}']);
    assert.deepEqual(claims.split('\n').filter(Boolean).map((l) => l.trim()).sort(), ['www-web-0 web', 'www-web-1 web', 'www-web-2 web']);
  });

  it('recreates a deleted pod under the same name', async () => {
    const before = (await pods()).find((p) => p.name === 'web-1')!;
    await ok(['delete', 'pod', 'web-1', '--wait=false']);
    const again = await until('a new web-1', async () => {
      const now = (await readyPods(['web-0', 'web-1', 'web-2'])).find((p) => p.name === 'web-1')!;
      return now.uid !== before.uid ? now : undefined;
    });
    assert.equal(again.image, 'nginx:1');
  });

  it('updates only ordinals at or above the partition, and rollout status follows', async () => {
    const oldRevision = await status('{.status.currentRevision}');
    await ok(['patch', 'sts', 'web', '-p', JSON.stringify({ spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } } })]);
    await ok(['set', 'image', 'sts/web', 'c=nginx:2']);
    const out = await ok(['rollout', 'status', 'sts/web', '--timeout=90s']);
    assert.match(out, /partitioned roll out complete: 2 new pods have been updated/);
    const updated = await readyPods(['web-0', 'web-1', 'web-2']);
    const newRevision = await status('{.status.updateRevision}');
    assert.notEqual(newRevision, oldRevision);
    assert.deepEqual(updated.map((p) => `${p.name} ${p.image} ${p.revision}`), [`web-0 nginx:1 ${oldRevision}`, `web-1 nginx:2 ${newRevision}`, `web-2 nginx:2 ${newRevision}`]);
    assert.equal(await status('{.status.currentRevision} {.status.updatedReplicas} {.status.currentReplicas}'), `${oldRevision} 2 1`);

    await ok(['patch', 'sts', 'web', '-p', JSON.stringify({ spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } })]);
    assert.match(await ok(['rollout', 'status', 'sts/web', '--timeout=90s']), /roll out complete: 3 new pods have been updated/);
    await until('current revision caught up', async () => ((await status('{.status.currentRevision} {.status.updatedReplicas} {.status.readyReplicas}')) === `${newRevision} 3 3` ? true : undefined));
    assert.deepEqual((await pods()).map((p) => p.image), ['nginx:2', 'nginx:2', 'nginx:2']);
    const history = await ok(['rollout', 'history', 'sts/web']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);

    await ok(['rollout', 'undo', 'sts/web']);
    assert.match(await ok(['rollout', 'status', 'sts/web', '--timeout=90s']), /roll out complete: 3 new pods have been updated/);
    const back = await until('pods back on nginx:1', async () => {
      const now = await readyPods(['web-0', 'web-1', 'web-2']);
      return now.every((p) => p.image === 'nginx:1') ? now : undefined;
    });
    assert.deepEqual(new Set(back.map((p) => p.revision)).size, 1);
  });

  it('scales down from the highest ordinal, one pod at a time', async () => {
    const watch = await watchPods('app=web');
    try {
      await ok(['scale', 'sts', 'web', '--replicas=1']);
      await until('one pod left', async () => ((await pods()).map((p) => p.name).join() === 'web-0' ? true : undefined));
      await until('status of one replica', async () => ((await status('{.status.replicas} {.status.readyReplicas}')) === '1 1' ? true : undefined));
    } finally {
      watch.stop();
    }
    const { lines } = watch;
    const web2Gone = firstLine(lines, /^DELETED web-2 /);
    const web1Deleting = firstLine(lines, /^(MODIFIED|DELETED) web-1 \S* ?\d{4}-/);
    assert.ok(web2Gone >= 0 && web1Deleting > web2Gone, `web-1 was deleted before web-2 was gone:\n${lines.join('\n')}`);
    // Claims stay (whenScaled: Retain).
    assert.equal((await ok(['get', 'pvc', '-o', 'name'])).split('\n').filter(Boolean).length, 3);
  });

  it('adopts the pods of a set deleted with --cascade=orphan when it is created again', async () => {
    const [web0] = await pods();
    await ok(['delete', 'sts', 'web', '--cascade=orphan']);
    await until('web-0 orphaned', async () => ((await ok(['get', 'pod', 'web-0', '-o', 'jsonpath={.metadata.ownerReferences}'])) === '' ? true : undefined));
    await ok(['create', '-f', '-'], statefulSet(1));
    const uid = await ok(['get', 'sts', 'web', '-o', 'jsonpath={.metadata.uid}']);
    await until('web-0 adopted', async () => ((await ok(['get', 'pod', 'web-0', '-o', 'jsonpath={.metadata.ownerReferences[0].uid}'])) === uid ? true : undefined));
    assert.equal((await pods())[0]!.uid, web0!.uid);
    await until('status of the adopted replica', async () => ((await status('{.status.replicas} {.status.readyReplicas}')) === '1 1' ? true : undefined));
  });

  it('deletes claims with the pods and the set when the retention policy says Delete', async () => {
    const set = JSON.parse(statefulSet(2));
    set.metadata.name = 'db';
    set.spec.serviceName = 'db';
    set.spec.selector.matchLabels.app = set.spec.template.metadata.labels.app = 'db';
    set.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Delete' };
    await ok(['create', '-f', '-'], JSON.stringify(set));
    const claims = () => ok(['get', 'pvc', '-l', 'app=db', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.metadata.ownerReferences[*].kind}{"\\n"}{end}']);
    await until('both db claims, owned by the set', async () => ((await claims()) === 'www-db-0 StatefulSet\nwww-db-1 StatefulSet\n' ? true : undefined));
    await until('db-1 ready', async () => ((await ok(['get', 'sts', 'db', '-o', 'jsonpath={.status.readyReplicas}'])) === '2' ? true : undefined));
    await ok(['scale', 'sts', 'db', '--replicas=1']);
    await until('the claim of db-1 gone with its pod', async () => ((await claims()) === 'www-db-0 StatefulSet\n' ? true : undefined));
    await ok(['delete', 'sts', 'db']);
    await until('the claims gone with the set', async () => ((await claims()) === '' ? true : undefined));
  });
});
