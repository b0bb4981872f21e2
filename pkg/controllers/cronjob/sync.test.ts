import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KObject } from '../../api/types.ts';
import { SCHEDULED_TIMESTAMP, syncCronJob, type CronJobWriter } from './sync.ts';

/** An in-memory API holding one CronJob and its Jobs. */
class Fake {
  readonly jobs = new Map<string, KObject>();
  readonly events: string[] = [];
  statusWrites = 0;
  now: Date;
  private seq = 0;

  constructor(public cj: KObject, now: string) {
    this.now = new Date(now);
  }

  readonly writer: CronJobWriter = {
    createJob: async (job) => {
      if (this.jobs.has(job.metadata.name!)) throw Object.assign(new Error('exists'), { code: 409 });
      const made = { ...structuredClone(job), metadata: { ...structuredClone(job.metadata), uid: `uid-${this.seq++}`, resourceVersion: '1' }, status: {} };
      this.jobs.set(made.metadata.name!, made);
      return made;
    },
    deleteJob: async (_ns, name) => {
      if (!this.jobs.delete(name)) throw Object.assign(new Error('not found'), { code: 404 });
    },
    getJob: async (_ns, name) => this.jobs.get(name),
    getCronJob: async () => structuredClone(this.cj),
    updateStatus: async (cj) => {
      this.statusWrites++;
      this.cj = { ...this.cj, status: structuredClone(cj.status) };
      return this.cj;
    },
  };

  sync(): Promise<true | number> {
    return syncCronJob(structuredClone(this.cj), [...this.jobs.values()].map((j) => structuredClone(j)), {
      writer: this.writer,
      events: { event: (_o, _t, reason) => this.events.push(reason) },
      now: () => this.now,
    });
  }

  finish(name: string, type: 'Complete' | 'Failed', at: string): void {
    const job = this.jobs.get(name)!;
    job.status = { startTime: at, ...(type === 'Complete' ? { completionTime: at } : {}), conditions: [{ type, status: 'True' }] };
  }

  names(): string[] {
    return [...this.jobs.keys()].sort();
  }
}

function cronJob(spec: Record<string, unknown>): KObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tick', namespace: 'default', uid: 'cj-uid', creationTimestamp: '2026-01-01T00:00:30Z' },
    spec: {
      schedule: '*/1 * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { app: 'tick' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
    status: {},
  };
}

describe('cronjob sync', () => {
  it('creates the job of the due run, named by its minute, and waits for the next one', async () => {
    const f = new Fake(cronJob({}), '2026-01-01T00:01:10Z');
    const wait = await f.sync();
    const minute = Math.floor(Date.parse('2026-01-01T00:01:00Z') / 60_000);
    assert.deepEqual(f.names(), [`tick-${minute}`]);
    const job = f.jobs.get(`tick-${minute}`)!;
    assert.equal(job.metadata.annotations![SCHEDULED_TIMESTAMP], '2026-01-01T00:01:00Z');
    assert.deepEqual(job.metadata.labels, { app: 'tick' });
    assert.deepEqual(job.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'tick', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
    assert.equal(f.cj.status.lastScheduleTime, '2026-01-01T00:01:00Z');
    assert.deepEqual(f.cj.status.active.map((r: { name: string }) => r.name), [`tick-${minute}`]);
    assert.equal(wait, 50_000 + 100);
    assert.deepEqual(f.events, ['SuccessfulCreate']);
    // The same minute again: nothing new.
    await f.sync();
    assert.equal(f.jobs.size, 1);
  });

  it('records finished jobs, lastSuccessfulTime, and keeps history limits', async () => {
    const f = new Fake(cronJob({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 }), '2026-01-01T00:01:05Z');
    for (let m = 1; m <= 5; m++) {
      f.now = new Date(Date.parse('2026-01-01T00:00:05Z') + m * 60_000);
      await f.sync();
      const made = [...f.jobs.values()].find((j) => !j.status?.conditions)!;
      // Runs 1-4 succeed, run 5 and a later one fail.
      f.finish(made.metadata.name!, m === 5 ? 'Failed' : 'Complete', f.now.toISOString());
    }
    f.now = new Date('2026-01-01T00:06:05Z');
    await f.sync();
    f.finish([...f.jobs.values()].find((j) => !j.status?.conditions)!.metadata.name!, 'Failed', f.now.toISOString());
    await f.sync();
    const minute = (m: number) => `tick-${Math.floor(Date.parse('2026-01-01T00:00:00Z') / 60_000) + m}`;
    assert.deepEqual(f.names(), [minute(3), minute(4), minute(6)]);
    assert.equal(f.cj.status.lastSuccessfulTime, '2026-01-01T00:04:05.000Z');
    assert.equal(f.cj.status.active, undefined, 'no active job left');
    assert.ok(f.events.includes('SawCompletedJob'));
    assert.ok(f.events.includes('SuccessfulDelete'));
  });

  it('Forbid skips a run while one is active; Replace deletes the active one', async () => {
    const forbid = new Fake(cronJob({ concurrencyPolicy: 'Forbid' }), '2026-01-01T00:01:05Z');
    await forbid.sync();
    forbid.now = new Date('2026-01-01T00:02:05Z');
    await forbid.sync();
    assert.equal(forbid.jobs.size, 1);
    assert.equal(forbid.events.at(-1), 'JobAlreadyActive');

    const replace = new Fake(cronJob({ concurrencyPolicy: 'Replace' }), '2026-01-01T00:01:05Z');
    await replace.sync();
    const first = replace.names()[0];
    replace.now = new Date('2026-01-01T00:02:05Z');
    await replace.sync();
    assert.equal(replace.jobs.size, 1);
    assert.notEqual(replace.names()[0], first);
    assert.equal(replace.cj.status.active.length, 1);
  });

  it('a run later than startingDeadlineSeconds is skipped; suspend starts nothing', async () => {
    const late = new Fake(cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 30 }), '2026-01-01T01:00:45Z');
    const wait = await late.sync();
    assert.equal(late.jobs.size, 0);
    assert.equal(wait, 59 * 60_000 + 15_000 + 100);
    const onTime = new Fake(cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 60 }), '2026-01-01T01:00:45Z');
    await onTime.sync();
    assert.equal(onTime.jobs.size, 1);

    const suspended = new Fake(cronJob({ suspend: true }), '2026-01-01T00:05:00Z');
    assert.equal(await suspended.sync(), true);
    assert.equal(suspended.jobs.size, 0);
  });

  it('starts only the latest of many missed runs, and warns', async () => {
    const f = new Fake(cronJob({}), '2026-01-02T00:00:30Z');
    await f.sync();
    assert.deepEqual(f.names(), [`tick-${Math.floor(Date.parse('2026-01-02T00:00:00Z') / 60_000)}`]);
    assert.deepEqual(f.events, ['TooManyMissedTimes', 'SuccessfulCreate']);
  });

  it('stamps the scheduled time on the clock of spec.timeZone', async () => {
    const f = new Fake(cronJob({ schedule: '0 9 * * *', timeZone: 'Europe/Berlin' }), '2026-01-01T08:00:30Z');
    await f.sync();
    const [job] = f.jobs.values();
    assert.equal(job!.metadata.annotations![SCHEDULED_TIMESTAMP], '2026-01-01T09:00:00+01:00');
  });

  it('drops active jobs that went missing', async () => {
    const f = new Fake(cronJob({ schedule: '0 0 1 1 *' }), '2026-01-01T00:00:30Z');
    f.cj.status = { active: [{ kind: 'Job', name: 'gone', namespace: 'default', uid: 'x' }], lastScheduleTime: '2026-01-01T00:00:00Z' };
    await f.sync();
    assert.equal(f.cj.status.active, undefined);
    assert.deepEqual(f.events, ['MissingJob']);
  });
});
