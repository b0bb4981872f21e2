import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../types.ts';
import { context, create, update } from '../test-helpers.ts';
import { cronScheduleError } from './cron.ts';
import { cronjobs } from './cronjob.ts';
import { jobs } from './job.ts';

const UID = '0b5e8f6a-1111-4222-8333-444455556666';

/** What `kubectl create job test --image=busybox -- date` sends, with the uid the store assigns. */
function kubectlJob(): KObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'test', namespace: 'default', uid: UID },
    spec: { template: { metadata: {}, spec: { containers: [{ name: 'test', image: 'busybox', command: ['date'], resources: {} }], restartPolicy: 'Never' } } },
    status: {},
  };
}

test('job defaults and the generated selector and labels', () => {
  const { obj, errors } = create(jobs.strategy, kubectlJob());
  assert.deepEqual(errors, []);
  const spec = obj.spec;
  assert.deepEqual(
    [spec.completions, spec.parallelism, spec.backoffLimit, spec.completionMode, spec.suspend, spec.podReplacementPolicy, spec.manualSelector],
    [1, 1, 6, 'NonIndexed', false, 'TerminatingOrFailed', false],
  );
  assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } });
  assert.deepEqual(spec.template.metadata.labels, {
    'job-name': 'test',
    'batch.kubernetes.io/job-name': 'test',
    'controller-uid': UID,
    'batch.kubernetes.io/controller-uid': UID,
  });
  assert.deepEqual(obj.metadata.labels, spec.template.metadata.labels, 'a job without labels shares its template labels');
  assert.deepEqual(obj.status, {});
});

test('a job with labels of its own keeps them', () => {
  const job = kubectlJob();
  job.metadata.labels = { team: 'a' };
  assert.deepEqual(create(jobs.strategy, job).obj.metadata.labels, { team: 'a' });
});

test('job pods must not restart Always; unset restart policy defaults to Always and is refused', () => {
  const job = kubectlJob();
  delete job.spec.template.spec.restartPolicy;
  assert.deepEqual(create(jobs.strategy, job).errors, ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
});

test('manual selectors are checked against the template', () => {
  const job = kubectlJob();
  job.spec.manualSelector = true;
  job.spec.selector = { matchLabels: { app: 'x' } };
  job.spec.template.metadata.labels = { app: 'y' };
  const { obj, errors } = create(jobs.strategy, job);
  assert.equal(obj.spec.template.metadata.labels['controller-uid'], undefined);
  assert.deepEqual(errors, ['spec.template.metadata.labels: Invalid value: {"app":"y"}: `selector` does not match template `labels`']);
});

test('a generated selector with a foreign uid is refused', () => {
  const job = kubectlJob();
  job.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } };
  const errors = create(jobs.strategy, job).errors;
  assert.ok(errors.includes('spec.selector: Invalid value: {"matchLabels":{"batch.kubernetes.io/controller-uid":"other"}}: `selector` not auto-generated'), errors.join('\n'));
});

test('job updates: template and completions immutable, parallelism free; status writes keep spec', () => {
  const old = create(jobs.strategy, kubectlJob()).obj;
  const scaled = structuredClone(old);
  scaled.spec.parallelism = 3;
  assert.deepEqual(update(jobs.strategy, scaled, old).errors, []);
  const changed = structuredClone(old);
  changed.spec.completions = 2;
  changed.spec.template.spec.containers[0].image = 'busybox:2';
  const errors = update(jobs.strategy, changed, old).errors;
  assert.equal(errors.length, 2);
  assert.equal(errors[0], 'spec.completions: Invalid value: 2: field is immutable');
  assert.match(errors[1]!, /^spec\.template: Invalid value: .*: field is immutable$/);
  const status = structuredClone(old);
  status.spec.parallelism = 9;
  status.status = { succeeded: 1 };
  const result = update(jobs.strategy, status, old, context('status'));
  assert.equal(result.obj.spec.parallelism, 1);
  assert.deepEqual(result.obj.status, { succeeded: 1 });
  assert.equal(jobs.fieldSelectors?.['status.successful']?.(result.obj), '1');
});

test('a suspended job that never started may move to other nodes', () => {
  const job = kubectlJob();
  job.spec.suspend = true;
  const old = create(jobs.strategy, job).obj;
  const moved = structuredClone(old);
  moved.spec.template.spec.nodeSelector = { zone: 'b' };
  assert.deepEqual(update(jobs.strategy, moved, old).errors, []);
});

test('indexed jobs need completions', () => {
  const job = kubectlJob();
  job.spec.completionMode = 'Indexed';
  job.spec.parallelism = 2;
  assert.deepEqual(create(jobs.strategy, job).errors, ['spec.completions: Required value: when completion mode is Indexed']);
});

/** What `kubectl create cronjob cj --image=busybox --schedule="*\/1 * * * *"` sends. */
function kubectlCronJob(): KObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj', namespace: 'default' },
    spec: {
      schedule: '*/1 * * * *',
      jobTemplate: { metadata: { name: 'cj' }, spec: { template: { metadata: {}, spec: { containers: [{ name: 'cj', image: 'busybox', resources: {} }], restartPolicy: 'OnFailure' } } } },
    },
    status: {},
  };
}

test('cron job defaults; the job template is not defaulted as a Job', () => {
  const { obj, errors } = create(cronjobs.strategy, kubectlCronJob());
  assert.deepEqual(errors, []);
  assert.deepEqual([obj.spec.concurrencyPolicy, obj.spec.suspend, obj.spec.successfulJobsHistoryLimit, obj.spec.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
  assert.equal(obj.spec.jobTemplate.spec.backoffLimit, undefined);
  assert.equal(obj.spec.jobTemplate.spec.template.spec.dnsPolicy, 'ClusterFirst');
});

test('cron job schedule, time zone, name length and template selector errors', () => {
  const cj = kubectlCronJob();
  cj.metadata.name = 'x'.repeat(53);
  cj.spec.schedule = '* * *';
  cj.spec.timeZone = 'Mars/Olympus';
  cj.spec.jobTemplate.spec.selector = { matchLabels: { a: 'b' } };
  assert.deepEqual(create(cronjobs.strategy, cj).errors, [
    'spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]',
    'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated',
    `metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`,
  ]);
});

test('cron schedules parse as robfig/cron does', () => {
  for (const ok of ['*/5 * * * *', '0 0 * * sun', '15 2 1-15/2 jan-jun mon-fri', '@hourly', '@every 1h30m', '0 9 * * 1,3,5']) {
    assert.equal(cronScheduleError(ok), undefined, ok);
  }
  assert.equal(cronScheduleError('60 * * * *'), 'end of range (60) above maximum (59): 60');
  assert.equal(cronScheduleError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(cronScheduleError('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
  assert.equal(cronScheduleError('@fortnightly'), 'unrecognized descriptor: @fortnightly');
  assert.equal(cronScheduleError('* 0 0 * * *'), 'expected exactly 5 fields, found 6: [* 0 0 * * *]');
});
