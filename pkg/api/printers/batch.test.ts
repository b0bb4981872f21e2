import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../types.ts';
import { cronJobPrinter, jobPrinter } from './batch.ts';
import { ago, now } from './testing.ts';

function job(spec: object, status: object, metadata: object = {}): KObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', creationTimestamp: ago(600), ...metadata },
    spec: {
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': '0f1e' } },
      template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }] } },
      ...spec,
    },
    status,
  };
}

test('Job columns: NAME STATUS COMPLETIONS DURATION AGE (+ CONTAINERS IMAGES SELECTOR)', () => {
  assert.deepEqual(
    jobPrinter.columns.map((c) => `${c.name}:${c.priority}`),
    ['Name:0', 'Status:0', 'Completions:0', 'Duration:0', 'Age:0', 'Containers:1', 'Images:1', 'Selector:1'],
  );
});

test('a completed Job', () => {
  const complete = job(
    { completions: 1, parallelism: 1 },
    {
      succeeded: 1,
      startTime: ago(600),
      completionTime: ago(600 - 42),
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True' },
        { type: 'Complete', status: 'True' },
      ],
    },
  );
  assert.deepEqual(jobPrinter.row(complete, now), [
    'pi',
    'Complete',
    '1/1',
    '42s',
    '10m',
    'pi',
    'perl:5.34',
    'batch.kubernetes.io/controller-uid=0f1e',
  ]);
});

test('a failed Job', () => {
  const failed = job(
    { completions: 3, backoffLimit: 2 },
    { failed: 3, succeeded: 1, startTime: ago(300), conditions: [{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }] },
  );
  assert.deepEqual(jobPrinter.row(failed, now).slice(1, 4), ['Failed', '1/3', '5m']);
});

test('running, suspended, terminating and not yet started Jobs', () => {
  const running = job({ parallelism: 4 }, { active: 4, startTime: ago(65) });
  assert.deepEqual(jobPrinter.row(running, now).slice(1, 4), ['Running', '0/1 of 4', '65s']);
  const suspended = job({ completions: 5, suspend: true }, { conditions: [{ type: 'Suspended', status: 'True' }] });
  assert.deepEqual(jobPrinter.row(suspended, now).slice(1, 4), ['Suspended', '0/5', '']);
  const deleting = job({ completions: 1 }, { startTime: ago(30) }, { deletionTimestamp: ago(1) });
  assert.equal(jobPrinter.row(deleting, now)[1], 'Terminating');
  const falseCondition = job({}, { conditions: [{ type: 'Complete', status: 'False' }] });
  assert.deepEqual(jobPrinter.row(falseCondition, now).slice(1, 3), ['Running', '0/1']);
});

test('CronJob: SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE', () => {
  const cron: KObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'backup', creationTimestamp: ago(3 * 86400) },
    spec: {
      schedule: '*/5 * * * *',
      suspend: false,
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'backup', image: 'restic:0.16' }] } } } },
    },
    status: { active: [{ kind: 'Job', name: 'backup-28576' }], lastScheduleTime: ago(120) },
  };
  assert.deepEqual(
    cronJobPrinter.columns.map((c) => [c.name, c.type]),
    [
      ['Name', 'string'],
      ['Schedule', 'string'],
      ['Timezone', 'string'],
      ['Suspend', 'boolean'],
      ['Active', 'integer'],
      ['Last Schedule', 'string'],
      ['Age', 'string'],
      ['Containers', 'string'],
      ['Images', 'string'],
      ['Selector', 'string'],
    ],
  );
  assert.deepEqual(cronJobPrinter.row(cron, now), ['backup', '*/5 * * * *', '<none>', 'False', 1, '2m', '3d', 'backup', 'restic:0.16', '<none>']);
  const zoned = { ...cron, spec: { ...cron.spec, timeZone: 'Etc/UTC', suspend: undefined }, status: {} };
  assert.deepEqual(cronJobPrinter.row(zoned, now).slice(2, 6), ['Etc/UTC', '<unset>', 0, '<none>']);
});
