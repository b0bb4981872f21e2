/**
 * Jobs, CronJobs and TTL-after-finished through the real binary, `tsk simulate` and kubectl.
 * Simulated pods with restartPolicy Never succeed about a second after they start. A pod the
 * simulator would never fail is failed by hand: kept off the nodes by a nodeSelector nothing
 * matches, then patched to phase Failed through the status subresource as the admin (a kubelet
 * would write that status).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { until } from './lib/until.ts';

const { cluster, ok } = clusterPerFile();

function job(name: string, spec: Record<string, unknown>, podSpec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox', command: ['true'] }], ...podSpec } } },
  });
}

/** Keeps pods Pending: no simulated node carries this label. */
const nowhere = { nodeSelector: { 'example.com/none': 'true' } };

const jsonOf = async (args: string[]) => JSON.parse(await ok([...args, '-o', 'json']));
const podsOf = async (jobName: string) => (await jsonOf(['get', 'pods', '-l', `batch.kubernetes.io/job-name=${jobName}`])).items;
const eventReasons = async (name: string) =>
  (await ok(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}'])).split('\n').filter(Boolean);

describe('batch workloads on simulated nodes', () => {
  let sim: SimulateProcess | undefined;

  before(async () => {
    sim = await startSimulate(cluster(), { nodes: 2 });
  });

  after(async () => {
    await sim?.stop();
  });

  describe('Job', () => {
    it('completions 3, parallelism 2: kubectl wait --for=condition=complete, status, pods, events', async () => {
      await ok(['create', '-f', '-'], job('three', { completions: 3, parallelism: 2 }));
      await ok(['wait', '--for=condition=complete', 'job/three', '--timeout=60s']);
      const j = await jsonOf(['get', 'job', 'three']);
      assert.equal(j.status.succeeded, 3);
      assert.equal(j.status.active ?? 0, 0);
      assert.ok(j.status.startTime && j.status.completionTime);
      const types = j.status.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`);
      assert.deepEqual(types, ['SuccessCriteriaMet=True', 'Complete=True']);
      assert.equal(j.status.conditions[1].reason, 'CompletionsReached');
      const pods = await podsOf('three');
      assert.equal(pods.length, 3, 'one pod per completion, none extra');
      for (const p of pods) {
        assert.equal(p.status.phase, 'Succeeded');
        assert.equal(p.metadata.labels['batch.kubernetes.io/controller-uid'], j.metadata.uid);
        assert.equal(p.metadata.labels['controller-uid'], j.metadata.uid);
        assert.equal(p.metadata.labels['job-name'], 'three');
        assert.deepEqual(p.metadata.ownerReferences.map((r: { kind: string; name: string; controller: boolean }) => [r.kind, r.name, r.controller]), [['Job', 'three', true]]);
        assert.deepEqual(p.metadata.finalizers ?? [], [], 'the tracking finalizer is gone once counted');
      }
      const table = await ok(['get', 'job', 'three']);
      assert.match(table, /three\s+Complete\s+3\/3/);
      const reasons = await eventReasons('three');
      assert.equal(reasons.filter((r) => r === 'SuccessfulCreate').length, 3);
      assert.ok(reasons.includes('Completed'), reasons.join(','));
    });

    it('Indexed: one pod per index with annotation, label, hostname and JOB_COMPLETION_INDEX', async () => {
      await ok(['create', '-f', '-'], job('indexed', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
      await ok(['wait', '--for=condition=complete', 'job/indexed', '--timeout=60s']);
      const j = await jsonOf(['get', 'job', 'indexed']);
      assert.equal(j.status.completedIndexes, '0-2');
      assert.equal(j.status.succeeded, 3);
      const pods = await podsOf('indexed');
      const indexes = pods.map((p: { metadata: { annotations: Record<string, string> } }) => p.metadata.annotations['batch.kubernetes.io/job-completion-index']).sort();
      assert.deepEqual(indexes, ['0', '1', '2']);
      for (const p of pods) {
        const ix = p.metadata.annotations['batch.kubernetes.io/job-completion-index'];
        assert.equal(p.metadata.labels['batch.kubernetes.io/job-completion-index'], ix);
        assert.equal(p.spec.hostname, `indexed-${ix}`);
        assert.match(p.metadata.name, new RegExp(`^indexed-${ix}-`));
        const env = p.spec.containers[0].env.find((e: { name: string }) => e.name === 'JOB_COMPLETION_INDEX');
        assert.equal(env.valueFrom.fieldRef.fieldPath, "metadata.labels['batch.kubernetes.io/job-completion-index']");
      }
    });

    it('activeDeadlineSeconds: the job fails with DeadlineExceeded and its pod is removed', async () => {
      await ok(['create', '-f', '-'], job('slow', { activeDeadlineSeconds: 2 }, nowhere));
      await ok(['wait', '--for=condition=failed', 'job/slow', '--timeout=60s']);
      const j = await jsonOf(['get', 'job', 'slow']);
      const failed = j.status.conditions.find((c: { type: string }) => c.type === 'Failed');
      assert.equal(failed.reason, 'DeadlineExceeded');
      assert.equal(failed.message, 'Job was active longer than specified deadline');
      assert.equal(j.status.active ?? 0, 0);
      assert.equal(j.status.failed, 1, 'the pod killed by the deadline counts as failed');
      await until('the pod to go', async () => ((await podsOf('slow')).length === 0 ? true : undefined));
      assert.ok((await eventReasons('slow')).includes('DeadlineExceeded'));
      assert.match(await ok(['get', 'job', 'slow']), /slow\s+Failed\s+0\/1/);
    });

    it('backoffLimit 0: a failed pod fails the job with BackoffLimitExceeded and is not replaced', async () => {
      await ok(['create', '-f', '-'], job('fragile', { backoffLimit: 0 }, nowhere));
      const [pod] = await until('the pod', async () => {
        const pods = await podsOf('fragile');
        return pods.length ? pods : undefined;
      });
      // Status written as a kubelet would after the container exited 1.
      await ok(['patch', 'pod', pod.metadata.name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Failed' } })]);
      await ok(['wait', '--for=condition=failed', 'job/fragile', '--timeout=60s']);
      const j = await jsonOf(['get', 'job', 'fragile']);
      assert.equal(j.status.failed, 1);
      assert.equal(j.status.conditions.find((c: { type: string }) => c.type === 'Failed').reason, 'BackoffLimitExceeded');
      assert.equal(j.status.conditions.find((c: { type: string }) => c.type === 'FailureTarget').reason, 'BackoffLimitExceeded');
      const pods = await podsOf('fragile');
      assert.deepEqual(pods.map((p: { metadata: { name: string } }) => p.metadata.name), [pod.metadata.name], 'no replacement pod');
      assert.deepEqual(pods[0].metadata.finalizers ?? [], []);
      assert.ok((await eventReasons('fragile')).includes('BackoffLimitExceeded'));
    });

    it('suspend: no pods while suspended, then resumed to completion', async () => {
      await ok(['create', '-f', '-'], job('paused', { suspend: true, completions: 2, parallelism: 2 }));
      await until('the Suspended condition', async () => {
        const j = await jsonOf(['get', 'job', 'paused']);
        return j.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Suspended' && c.status === 'True') ? j : undefined;
      });
      assert.equal((await podsOf('paused')).length, 0);
      assert.match(await ok(['get', 'job', 'paused']), /paused\s+Suspended\s+0\/2/);
      await ok(['patch', 'job', 'paused', '--type=merge', '-p', JSON.stringify({ spec: { suspend: false } })]);
      await ok(['wait', '--for=condition=complete', 'job/paused', '--timeout=60s']);
      const j = await jsonOf(['get', 'job', 'paused']);
      const suspended = j.status.conditions.find((c: { type: string }) => c.type === 'Suspended');
      assert.deepEqual([suspended.status, suspended.reason], ['False', 'JobResumed']);
      assert.equal(j.status.succeeded, 2);
      const reasons = await eventReasons('paused');
      assert.ok(reasons.includes('Suspended') && reasons.includes('Resumed'), reasons.join(','));
    });

    it('deleting a job removes its pods, though they carry the tracking finalizer', async () => {
      await ok(['create', '-f', '-'], job('doomed', { completions: 2, parallelism: 2 }, nowhere));
      const pods = await until('two pods', async () => {
        const p = await podsOf('doomed');
        return p.length === 2 ? p : undefined;
      });
      for (const p of pods) assert.deepEqual(p.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
      await ok(['delete', 'job', 'doomed']);
      await until('the pods to go', async () => ((await podsOf('doomed')).length === 0 ? true : undefined));
    });

    it('adopts a matching orphan pod (manualSelector), adding the tracking finalizer, and counts it', async () => {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { app: 'adopter' } }, spec: { restartPolicy: 'Never', ...nowhere, containers: [{ name: 'work', image: 'busybox' }] } };
      await ok(['create', '-f', '-'], JSON.stringify(pod));
      const manual = JSON.parse(job('adopter', { manualSelector: true, selector: { matchLabels: { app: 'adopter' } } }, nowhere));
      manual.spec.template.metadata = { labels: { app: 'adopter' } };
      await ok(['create', '-f', '-'], JSON.stringify(manual));
      const adopted = await until('the pod to be adopted', async () => {
        const p = await jsonOf(['get', 'pod', 'stray']);
        return p.metadata.ownerReferences?.length ? p : undefined;
      });
      assert.deepEqual(adopted.metadata.ownerReferences.map((r: { kind: string; name: string; controller: boolean }) => [r.kind, r.name, r.controller]), [['Job', 'adopter', true]]);
      assert.deepEqual(adopted.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
      await ok(['patch', 'pod', 'stray', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Succeeded' } })]);
      await ok(['wait', '--for=condition=complete', 'job/adopter', '--timeout=60s']);
      const pods = (await jsonOf(['get', 'pods', '-l', 'app=adopter'])).items;
      assert.deepEqual(pods.map((p: { metadata: { name: string } }) => p.metadata.name), ['stray'], 'the adopted pod did the work: none created');
      assert.equal((await jsonOf(['get', 'job', 'adopter'])).status.succeeded, 1);
    });

    it('ttlSecondsAfterFinished deletes the finished job, and its pods go with it', async () => {
      await ok(['create', '-f', '-'], job('brief', { ttlSecondsAfterFinished: 1 }));
      const uid = (await jsonOf(['get', 'job', 'brief'])).metadata.uid;
      await until('the job to be deleted', async () => {
        const r = await cluster().kubectl(['get', 'job', 'brief', '-o', 'jsonpath={.metadata.uid}']);
        if (r.code !== 0 && /NotFound/.test(r.stderr)) return true;
        assert.equal(r.stdout, uid, 'the same job until it is gone');
        return undefined;
      });
      await until('its pods to go', async () => ((await podsOf('brief')).length === 0 ? true : undefined));
    });
  });

  describe('CronJob', () => {
    it('creates a Job on schedule and keeps successfulJobsHistoryLimit', async () => {
      const cronJob = {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'tick' },
        spec: {
          schedule: '*/1 * * * *',
          successfulJobsHistoryLimit: 1,
          jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] } } } },
        },
      };
      // The manual runs below must be done before the first scheduled one: start early in a minute.
      if (Date.now() % 60_000 > 40_000) await new Promise((r) => setTimeout(r, 61_000 - (Date.now() % 60_000)));
      await ok(['create', '-f', '-'], JSON.stringify(cronJob));
      // Two runs by hand (kubectl sets the CronJob as their controller): once both succeeded the
      // older must go, as only one successful job is kept.
      await ok(['create', 'job', 'tick-manual-a', '--from=cronjob/tick']);
      await ok(['wait', '--for=condition=complete', 'job/tick-manual-a', '--timeout=60s']);
      await ok(['create', 'job', 'tick-manual-b', '--from=cronjob/tick']);
      await ok(['wait', '--for=condition=complete', 'job/tick-manual-b', '--timeout=60s']);
      const owned = async () => {
        const uid = (await jsonOf(['get', 'cronjob', 'tick'])).metadata.uid;
        return (await jsonOf(['get', 'jobs'])).items.filter((j: { metadata: { ownerReferences?: { uid: string }[] } }) => j.metadata.ownerReferences?.some((r) => r.uid === uid));
      };
      await until('the older manual run to be deleted', async () => {
        const names = (await owned()).map((j: { metadata: { name: string } }) => j.metadata.name);
        return names.length === 1 && names[0] === 'tick-manual-b' ? true : undefined;
      });
      // The scheduled run comes at the next whole minute (this test waits up to ~80 s for it).
      const scheduled = await until(
        'a scheduled job to complete and replace the manual one',
        async () => {
          const jobs = await owned();
          const done = jobs.filter((j: { status?: { conditions?: { type: string }[] } }) => j.status?.conditions?.some((c) => c.type === 'Complete'));
          return jobs.length === 1 && done.length === 1 && /^tick-\d+$/.test(jobs[0].metadata.name) ? jobs[0] : undefined;
        },
        90_000,
      );
      const minutes = Number(scheduled.metadata.name.slice('tick-'.length));
      const stamp = scheduled.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'];
      assert.equal(Date.parse(stamp), minutes * 60_000, 'the name is the scheduled minute');
      assert.deepEqual(scheduled.metadata.ownerReferences.map((r: { kind: string; name: string; controller: boolean }) => [r.kind, r.name, r.controller]), [['CronJob', 'tick', true]]);
      const cj = await until('the CronJob status', async () => {
        const c = await jsonOf(['get', 'cronjob', 'tick']);
        return c.status?.lastSuccessfulTime && !(c.status.active?.length > 0) ? c : undefined;
      });
      assert.equal(Date.parse(cj.status.lastScheduleTime), minutes * 60_000);
      const reasons = await eventReasons('tick');
      for (const r of ['SuccessfulCreate', 'SawCompletedJob', 'SuccessfulDelete']) assert.ok(reasons.includes(r), `${r} in ${reasons.join(',')}`);
    });
  });
});
