/**
 * Deployments and ReplicaSets end to end: `tsk server` (scheduler and controllers) plus
 * `tsk simulate` with three nodes, driven by the real kubectl. rollout status must succeed
 * or fail exactly when Kubernetes' would; history, undo, pause/resume and Recreate behave as
 * kubectl users expect.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { until } from './lib/until.ts';

const { cluster, ok, fails } = clusterPerFile();
let simulate: SimulateProcess | undefined;

const jsonpath = (args: string[], path: string) => ok([...args, '-o', `jsonpath=${path}`]);

/** name=replicas lines of the Deployment's ReplicaSets, sorted. */
async function replicaSets(app: string): Promise<string[]> {
  const out = await jsonpath(['get', 'rs', '-l', `app=${app}`], '{range .items[*]}{.metadata.name}={.spec.replicas}{"\\n"}{end}');
  return out.split('\n').filter(Boolean).sort();
}

async function rolledOut(name: string): Promise<void> {
  const out = await ok(['rollout', 'status', `deployment/${name}`, '--timeout=90s'], { timeoutMs: 120_000 });
  assert.match(out, new RegExp(`deployment "${name}" successfully rolled out`));
}

const deployment = (name: string, spec: Record<string, unknown>, podSpec: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox:1' }], ...podSpec } },
    ...spec,
  },
});

describe('on three simulated nodes', () => {
  before(async () => {
    simulate = await startSimulate(cluster(), { nodes: 3 });
  });
  after(async () => {
    await simulate?.kill();
  });

  describe('Deployment', () => {
    it('rolls out, and scales up and down', async () => {
      await ok(['create', 'deployment', 'web', '--image=busybox:1', '--replicas=3']);
      await rolledOut('web');
      const [rs] = await replicaSets('web');
      assert.match(rs!, /^web-[bcdfghjklmnpqrstvwxz2456789]{6,10}=3$/);
      const rsName = rs!.split('=')[0]!;
      const meta = await jsonpath(['get', 'rs', rsName], '{.metadata.labels.pod-template-hash} {.metadata.annotations}');
      assert.equal(meta.split(' ')[0], rsName.slice('web-'.length));
      assert.match(meta, /"deployment.kubernetes.io\/revision":"1"/);
      assert.match(meta, /"deployment.kubernetes.io\/desired-replicas":"3"/);
      assert.match(meta, /"deployment.kubernetes.io\/max-replicas":"4"/);
      const status = await jsonpath(['get', 'deploy', 'web'], '{.status.replicas} {.status.updatedReplicas} {.status.readyReplicas} {.status.availableReplicas} {.status.observedGeneration}');
      assert.equal(status, '3 3 3 3 1');
      assert.equal(await jsonpath(['get', 'deploy', 'web'], '{.metadata.annotations.deployment\\.kubernetes\\.io/revision} {.metadata.generation}'), '1 1', 'the revision is recorded without a new generation');
      const conditions = await jsonpath(['get', 'deploy', 'web'], '{range .status.conditions[*]}{.type}={.status}/{.reason}{"\\n"}{end}');
      assert.match(conditions, /^Available=True\/MinimumReplicasAvailable$/m);
      assert.match(conditions, /^Progressing=True\/NewReplicaSetAvailable$/m);
      const events = await jsonpath(['get', 'events', '--field-selector', 'involvedObject.kind=Deployment,involvedObject.name=web'], '{range .items[*]}{.reason}: {.message}{"\\n"}{end}');
      assert.match(events, new RegExp(`^ScalingReplicaSet: Scaled up replica set ${rsName} from 0 to 3$`, 'm'));

      await ok(['scale', 'deployment', 'web', '--replicas=5']);
      await rolledOut('web');
      assert.equal(await jsonpath(['get', 'deploy', 'web'], '{.status.availableReplicas}'), '5');
      await ok(['scale', 'deployment', 'web', '--replicas=1']);
      await rolledOut('web');
      await until('one pod left', async () => ((await jsonpath(['get', 'pods', '-l', 'app=web', '--field-selector', 'status.phase=Running'], '{.items[*].metadata.name}')).split(' ').filter(Boolean).length === 1 ? true : undefined));
      assert.deepEqual(await replicaSets('web'), [`${rsName}=1`]);
    });

    it('set image rolls out a new ReplicaSet; history lists revisions; undo returns to the old template', async () => {
      await ok(['create', '-f', '-'], deployment('app', { replicas: 3 }));
      await ok(['annotate', 'deployment', 'app', 'kubernetes.io/change-cause=first']);
      await rolledOut('app');
      const [first] = await replicaSets('app');
      await ok(['set', 'image', 'deployment/app', 'main=busybox:2']);
      await ok(['annotate', 'deployment', 'app', 'kubernetes.io/change-cause=second', '--overwrite']);
      await rolledOut('app');
      const sets = await replicaSets('app');
      assert.equal(sets.length, 2);
      const second = sets.find((s) => s !== `${first!.split('=')[0]}=0`)!;
      assert.ok(sets.includes(`${first!.split('=')[0]}=0`), `old set scaled to 0: ${sets}`);
      assert.match(second, /=3$/);
      assert.match(await ok(['rollout', 'status', 'deployment/app', '--revision=2']), /successfully rolled out/);
      assert.match(await fails(['rollout', 'status', 'deployment/app', '--revision=1']), /desired revision \(1\) is different from the running revision \(2\)/);
      const history = await ok(['rollout', 'history', 'deployment/app']);
      assert.match(history, /^1\s+first$/m);
      assert.match(history, /^2\s+second$/m);
      const revision2 = await ok(['rollout', 'history', 'deployment/app', '--revision=2']);
      assert.match(revision2, /Image:\s+busybox:2/);

      assert.match(await ok(['rollout', 'undo', 'deployment/app']), /rolled back/);
      await rolledOut('app');
      assert.equal(await jsonpath(['get', 'deploy', 'app'], '{.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}'), 'busybox:1 3');
      // The old ReplicaSet is scaled back up: no third one.
      assert.deepEqual(await replicaSets('app'), [`${first!.split('=')[0]}=3`, `${second.split('=')[0]}=0`].sort());
      const after = await ok(['rollout', 'history', 'deployment/app']);
      assert.match(after, /^2\s+second$/m);
      assert.match(after, /^3\s+first$/m);
      assert.doesNotMatch(after, /^1\s/m);
    });

    it('keeps only revisionHistoryLimit old ReplicaSets', async () => {
      await ok(['create', '-f', '-'], deployment('short', { revisionHistoryLimit: 1 }));
      await rolledOut('short');
      for (const tag of ['2', '3']) {
        await ok(['set', 'image', 'deployment/short', `main=busybox:${tag}`]);
        await rolledOut('short');
      }
      await until('two ReplicaSets left', async () => ((await replicaSets('short')).length === 2 ? true : undefined));
      assert.match(await ok(['rollout', 'history', 'deployment/short']), /^2\s+<none>\n3\s+<none>/m);
    });

    it('does not roll out while paused, and does after resume', async () => {
      await ok(['create', '-f', '-'], deployment('paused', {}));
      await rolledOut('paused');
      await ok(['rollout', 'pause', 'deployment/paused']);
      await ok(['set', 'image', 'deployment/paused', 'main=busybox:2']);
      await until('the paused generation observed', async () => {
        const [generation, observed] = (await jsonpath(['get', 'deploy', 'paused'], '{.metadata.generation} {.status.observedGeneration}')).split(' ');
        return generation === observed ? true : undefined;
      });
      assert.equal((await replicaSets('paused')).length, 1, 'no new ReplicaSet while paused');
      assert.equal(await jsonpath(['get', 'deploy', 'paused'], '{.status.conditions[?(@.type=="Progressing")].reason}'), 'DeploymentPaused');
      await ok(['rollout', 'resume', 'deployment/paused']);
      await rolledOut('paused');
      assert.equal((await replicaSets('paused')).length, 2);
      assert.equal(await jsonpath(['get', 'deploy', 'paused'], '{.status.conditions[?(@.type=="Progressing")].reason}'), 'NewReplicaSetAvailable');
    });

    it('Recreate scales the old ReplicaSet to zero before the new one comes up', async () => {
      await ok(['create', '-f', '-'], deployment('recreate', { strategy: { type: 'Recreate' } }));
      await rolledOut('recreate');
      const [old] = await replicaSets('recreate');
      const oldName = old!.split('=')[0]!;
      await ok(['set', 'image', 'deployment/recreate', 'main=busybox:2']);
      await rolledOut('recreate');
      const sets = await replicaSets('recreate');
      const fresh = sets.find((s) => !s.startsWith(`${oldName}=`))!.split('=')[0]!;
      assert.deepEqual(sets, [`${oldName}=0`, `${fresh}=2`].sort());
      const events = await jsonpath(['get', 'events', '--field-selector', 'involvedObject.kind=Deployment,involvedObject.name=recreate'], '{range .items[*]}{.message}{"\\n"}{end}');
      const down = events.indexOf(`Scaled down replica set ${oldName} from 2 to 0`);
      const up = events.indexOf(`Scaled up replica set ${fresh} from 0 to 2`);
      assert.ok(down >= 0 && up >= 0, events);
      // Never both at once: no step of the rollout scaled the new set while the old one had replicas.
      assert.doesNotMatch(events, new RegExp(`Scaled up replica set ${fresh} from 0 to 1`));
    });

    it('a rollout whose pods cannot become ready exceeds its progress deadline, and rollout status says so', async () => {
      await ok(['create', '-f', '-'], deployment('stuck', { progressDeadlineSeconds: 5 }, { nodeSelector: { 'no-such-label': 'x' } }));
      const r = await cluster().kubectl(['rollout', 'status', 'deployment/stuck', '--timeout=90s'], { timeoutMs: 120_000 });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /^error: deployment "stuck" exceeded its progress deadline$/m);
      const progressing = await jsonpath(['get', 'deploy', 'stuck'], '{.status.conditions[?(@.type=="Progressing")].status}/{.status.conditions[?(@.type=="Progressing")].reason}');
      assert.equal(progressing, 'False/ProgressDeadlineExceeded');
      assert.equal(await jsonpath(['get', 'deploy', 'stuck'], '{.status.conditions[?(@.type=="Available")].reason}'), 'MinimumReplicasUnavailable');
      assert.match(await fails(['rollout', 'status', 'deployment/stuck', '--timeout=5s']), /exceeded its progress deadline/);
    });
  });

  describe('ReplicaSet with running pods', () => {
    it('adopts an orphan pod, replaces a deleted pod, and counts ready replicas', async () => {
      await ok(['run', 'orphan', '--image=busybox:1', '--labels=app=adopt']);
      await ok(['create', '-f', '-'], JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'adopt' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'adopt' } }, template: { metadata: { labels: { app: 'adopt' } }, spec: { containers: [{ name: 'main', image: 'busybox:1' }] } } },
      }));
      await until('2 ready replicas', async () => ((await jsonpath(['get', 'rs', 'adopt'], '{.status.readyReplicas}/{.status.availableReplicas}')) === '2/2' ? true : undefined));
      assert.equal(await jsonpath(['get', 'pod', 'orphan'], '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}'), 'ReplicaSet/adopt');
      const pods = (await jsonpath(['get', 'pods', '-l', 'app=adopt'], '{.items[*].metadata.name}')).split(' ');
      assert.equal(pods.length, 2, 'the orphan counts as one of the two');
      await ok(['delete', 'pod', 'orphan']);
      const replaced = await until('a replacement pod ready', async () => {
        const names = (await jsonpath(['get', 'pods', '-l', 'app=adopt', '--field-selector', 'status.phase=Running'], '{.items[*].metadata.name}')).split(' ').filter(Boolean);
        return names.length === 2 && !names.includes('orphan') ? names : undefined;
      });
      assert.ok(replaced.every((n) => n.startsWith('adopt-')));
      await until('2 ready replicas again', async () => ((await jsonpath(['get', 'rs', 'adopt'], '{.status.readyReplicas}')) === '2' ? true : undefined));
    });
  });
});
