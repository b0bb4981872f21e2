import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPLETION_INDEX, TRACKING_FINALIZER } from './pods.ts';
import { JobHarness, newJob } from './testing.ts';

describe('job sync', () => {
  it('runs completions 3 with parallelism 2 to Complete, counting each pod once', async () => {
    const h = new JobHarness(newJob({ completions: 3, parallelism: 2 }));
    await h.sync();
    let pods = h.livePods();
    assert.equal(pods.length, 2);
    assert.equal(h.job.status.active, 2);
    assert.ok(h.job.status.startTime);
    for (const p of pods) {
      assert.deepEqual(p.metadata.finalizers, [TRACKING_FINALIZER]);
      assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'work', uid: 'job-uid', controller: true, blockOwnerDeletion: true }]);
      assert.equal(p.metadata.generateName, 'work-');
    }
    assert.deepEqual(h.reasons(), ['SuccessfulCreate', 'SuccessfulCreate']);

    for (const p of pods) h.setPhase(p, 'Succeeded');
    await h.sync();
    assert.equal(h.job.status.succeeded, 2);
    assert.equal(h.job.status.uncountedTerminatedPods.succeeded?.length ?? 0, 0);
    for (const p of pods) assert.deepEqual(h.pods.get(p.metadata.name!)!.metadata.finalizers, []);
    pods = h.livePods().filter((p) => p.status.phase === 'Pending');
    assert.equal(pods.length, 1, 'one more pod for the last completion');
    assert.equal(h.job.status.active, 1);

    // A sync with nothing new changes no counter.
    await h.sync();
    assert.equal(h.job.status.succeeded, 2);

    h.setPhase(pods[0]!, 'Succeeded');
    await h.sync();
    assert.equal(h.job.status.succeeded, 3);
    assert.equal(h.job.status.active, 0);
    assert.equal(h.condition('SuccessCriteriaMet')?.status, 'True');
    assert.equal(h.condition('Complete')?.status, 'True');
    assert.equal(h.condition('Complete')?.reason, 'CompletionsReached');
    assert.ok(h.job.status.completionTime);
    assert.equal(h.reasons().at(-1), 'Completed');
    const writes = h.statusWrites;
    assert.equal(await h.sync(), true);
    assert.equal(h.statusWrites, writes, 'a finished job is left alone');
  });

  it('fails with BackoffLimitExceeded when a pod fails and backoffLimit is 0', async () => {
    const h = new JobHarness(newJob({ backoffLimit: 0 }));
    await h.sync();
    const [pod] = h.livePods();
    h.setPhase(pod!, 'Failed');
    await h.sync();
    assert.equal(h.job.status.failed, 1);
    assert.equal(h.condition('FailureTarget')?.reason, 'BackoffLimitExceeded');
    assert.equal(h.condition('Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(h.condition('Complete'), undefined);
    assert.equal(h.livePods().filter((p) => p.status.phase === 'Pending').length, 0, 'no replacement');
    assert.deepEqual(h.events.at(-1), { type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
  });

  it('replaces a failed pod only after the backoff, and counts the failure', async () => {
    const h = new JobHarness(newJob({ backoffLimit: 3 }));
    await h.sync();
    h.setPhase(h.livePods()[0]!, 'Failed');
    const wait = await h.sync();
    assert.equal(h.job.status.failed, 1);
    assert.equal(h.livePods().length, 1, 'only the failed pod');
    assert.equal(typeof wait, 'number');
    assert.ok((wait as number) > 0 && (wait as number) <= 10_000);
    h.advance(10_000);
    await h.sync();
    assert.equal(h.livePods().filter((p) => p.status.phase === 'Pending').length, 1);
    assert.equal(h.job.status.active, 1);
    assert.equal(h.condition('Failed'), undefined);
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds, deleting running pods first', async () => {
    const h = new JobHarness(newJob({ activeDeadlineSeconds: 5, parallelism: 2, completions: 2 }));
    const wait = await h.sync();
    assert.equal(wait, 5000);
    assert.equal(h.livePods().length, 2);
    h.advance(5000);
    await h.sync();
    // The pods are terminating and still hold the finalizer: nothing is final yet.
    assert.equal(h.livePods().length, 0);
    assert.equal(h.condition('Failed'), undefined);
    await h.sync();
    assert.equal(h.condition('FailureTarget')?.reason, 'DeadlineExceeded');
    assert.equal(h.job.status.failed, 2, 'pods killed by the deadline count as failed');
    h.finishDeletions();
    await h.sync();
    assert.equal(h.condition('Failed')?.reason, 'DeadlineExceeded');
    assert.equal(h.job.status.active, 0);
    assert.equal(h.events.at(-1)?.reason, 'DeadlineExceeded');
  });

  it('gives Indexed pods their index, hostname and JOB_COMPLETION_INDEX, and records completedIndexes', async () => {
    const h = new JobHarness(newJob({ completionMode: 'Indexed', completions: 3, parallelism: 3 }));
    await h.sync();
    const pods = h.livePods();
    const byIndex = new Map(pods.map((p) => [p.metadata.annotations![COMPLETION_INDEX], p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    const p1 = byIndex.get('1')!;
    assert.equal(p1.metadata.labels![COMPLETION_INDEX], '1');
    assert.equal(p1.metadata.generateName, 'work-1-');
    assert.equal(p1.spec.hostname, 'work-1');
    assert.deepEqual(p1.spec.containers[0].env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } } }]);

    h.setPhase(byIndex.get('0')!, 'Succeeded');
    h.setPhase(byIndex.get('2')!, 'Succeeded');
    await h.sync();
    assert.equal(h.job.status.completedIndexes, '0,2');
    assert.equal(h.job.status.succeeded, 2);
    // Index 1 fails: its replacement carries index 1 again.
    h.setPhase(p1, 'Failed');
    await h.sync();
    h.advance(10_000);
    await h.sync();
    const replacement = h.livePods().find((p) => p.status.phase === 'Pending')!;
    assert.equal(replacement.metadata.annotations![COMPLETION_INDEX], '1');
    h.setPhase(replacement, 'Succeeded');
    await h.sync();
    assert.equal(h.job.status.completedIndexes, '0-2');
    assert.equal(h.job.status.failed, 1);
    assert.equal(h.condition('Complete')?.status, 'True');
  });

  it('a suspended job runs no pods; resuming starts them and the clock', async () => {
    const h = new JobHarness(newJob({ suspend: true }));
    await h.sync();
    assert.equal(h.livePods().length, 0);
    assert.equal(h.condition('Suspended')?.status, 'True');
    assert.equal(h.job.status.startTime, undefined);
    assert.deepEqual(h.reasons(), ['Suspended']);
    h.job.spec.suspend = false;
    h.advance(1000);
    await h.sync();
    assert.equal(h.livePods().length, 1);
    assert.equal(h.condition('Suspended')?.status, 'False');
    assert.equal(h.condition('Suspended')?.reason, 'JobResumed');
    assert.equal(h.job.status.startTime, '2026-01-01T00:00:01Z');
    // Suspending again deletes the running pod without counting it as a failure.
    h.job.spec.suspend = true;
    await h.sync();
    assert.equal(h.livePods().length, 0);
    assert.equal(h.job.status.failed ?? 0, 0);
    assert.equal(h.job.status.active, 0);
  });

  it('moves pods listed as uncounted into the counters once their finalizer is gone', async () => {
    // As after a crash between removing the finalizer and writing the counters.
    const h = new JobHarness(newJob({ completions: 2, parallelism: 1 }));
    h.job.status = { succeeded: 0, uncountedTerminatedPods: { succeeded: ['gone-pod'] }, startTime: '2026-01-01T00:00:00Z' };
    await h.sync();
    assert.equal(h.job.status.succeeded, 1);
    assert.equal(h.job.status.uncountedTerminatedPods.succeeded?.length ?? 0, 0);
    assert.equal(h.livePods().length, 1, 'one completion remains');
  });

  it('creates nothing while its own creations are not yet observed', async () => {
    const h = new JobHarness(newJob({ completions: 4, parallelism: 4 }));
    // Two creations were sent and the informer has not shown them yet.
    h.expectations.expectCreations(h.key, 2);
    await h.sync();
    assert.equal(h.pods.size, 0);
    h.expectations.creationObserved(h.key);
    h.expectations.creationObserved(h.key);
    await h.sync();
    assert.equal(h.pods.size, 4);
  });

  it('deletes pods beyond a lowered parallelism without counting them as failed', async () => {
    const h = new JobHarness(newJob({ completions: 10, parallelism: 3 }));
    await h.sync();
    assert.equal(h.livePods().length, 3);
    h.job.spec.parallelism = 1;
    await h.sync();
    assert.equal(h.livePods().length, 1);
    assert.equal(h.job.status.active, 1);
    assert.equal(h.reasons().filter((r) => r === 'SuccessfulDelete').length, 2);
    await h.sync();
    assert.equal(h.job.status.failed ?? 0, 0);
    assert.equal(h.livePods().length, 1, 'no replacement beyond parallelism');
  });

  it('without completions, the first success ends the job once the other pods finish', async () => {
    const h = new JobHarness(newJob({ completions: undefined, parallelism: 2 }));
    delete h.job.spec.completions;
    await h.sync();
    const [a, b] = h.livePods();
    h.setPhase(a!, 'Succeeded');
    await h.sync();
    assert.equal(h.livePods().filter((p) => p.status.phase === 'Pending').length, 1, 'no new pod after a success');
    assert.equal(h.condition('Complete'), undefined, 'the other pod still runs');
    h.setPhase(b!, 'Succeeded');
    await h.sync();
    assert.equal(h.job.status.succeeded, 2);
    assert.equal(h.condition('Complete')?.status, 'True');
  });

  it('restartPolicy OnFailure: container restarts count against backoffLimit', async () => {
    const h = new JobHarness(newJob({ backoffLimit: 2 }));
    h.job.spec.template.spec.restartPolicy = 'OnFailure';
    await h.sync();
    const [pod] = h.livePods();
    h.pods.get(pod!.metadata.name!)!.status = { phase: 'Running', containerStatuses: [{ name: 'c', restartCount: 2 }] };
    await h.sync();
    await h.sync();
    assert.equal(h.condition('Failed')?.reason, 'BackoffLimitExceeded');
    assert.equal(h.job.status.failed, 1, 'the running pod was killed and counted');
  });

  it('leaves a job managed by another controller alone', async () => {
    const h = new JobHarness(newJob({ managedBy: 'example.com/queue' }));
    assert.equal(await h.sync(), true);
    assert.equal(h.pods.size, 0);
    assert.equal(h.statusWrites, 0);
  });
});
