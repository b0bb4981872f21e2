/**
 * The CronJob controller: creates a Job for each scheduled time (sync.ts) and wakes up at the
 * next one. Writes as kube-system/cronjob-controller, events as cronjob-controller.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import type { EventSink } from '../../client/events.ts';
import { byControllerUid, CONTROLLER_INDEX } from '../../client/factory.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import { syncCronJob, type CronJobWriter } from './sync.ts';

const SERVICE_ACCOUNT = 'cronjob-controller';
const COMPONENT = 'cronjob-controller';
/** Timers beyond 2^31 ms fire at once: a yearly schedule is looked at again daily instead. */
const MAX_WAIT_MS = 24 * 3600_000;

const path = (resource: string, namespace: string, name?: string, subresource?: string) => resourcePath({ group: 'batch', version: 'v1', resource, namespace, name, subresource });

export class CronJobController implements Controller {
  readonly name = 'cronjob';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: COMPONENT, workers: 2, paused: true, retryMs: 1000 });
  private cronJobs!: Informer;
  private jobs!: Informer;
  private client!: Client;
  private events!: EventSink;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = ctx.recorderFor(SERVICE_ACCOUNT, COMPONENT);
    this.cronJobs = ctx.informers.informerFor({ group: 'batch', version: 'v1', resource: 'cronjobs' });
    this.jobs = ctx.informers.informerFor({ group: 'batch', version: 'v1', resource: 'jobs' }).addIndex(CONTROLLER_INDEX, byControllerUid);
    const enqueue = (cj: KObject) => this.queue.add(objectKey(cj));
    this.cronJobs.onAdd(enqueue).onUpdate((_, cj) => enqueue(cj));
    const jobChanged = (job: KObject) => {
      const ref = (job.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === 'CronJob');
      if (ref) this.queue.add(`${job.metadata.namespace}/${ref.name}`);
    };
    this.jobs.onAdd(jobChanged).onUpdate((_, job) => jobChanged(job)).onDelete(jobChanged);
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean | number> {
    const cj = this.cronJobs.get(key);
    if (!cj) return true;
    const jobs = this.jobs.byIndex(CONTROLLER_INDEX, cj.metadata.uid!);
    const result = await syncCronJob(cj, jobs, { writer: this.writer, events: this.events, now: () => new Date() });
    return result === true ? true : Math.min(result, MAX_WAIT_MS);
  }

  private readonly writer: CronJobWriter = {
    createJob: (job) => this.client.create(path('jobs', job.metadata.namespace!), job),
    deleteJob: async (namespace, name) => {
      await this.client.delete(path('jobs', namespace, name), { propagationPolicy: 'Background' });
    },
    getJob: (namespace, name) => this.getOrUndefined(path('jobs', namespace, name)),
    getCronJob: (namespace, name) => this.getOrUndefined(path('cronjobs', namespace, name)),
    updateStatus: (cj) => this.client.update(path('cronjobs', cj.metadata.namespace!, cj.metadata.name, 'status'), cj),
  };

  private async getOrUndefined(p: string): Promise<KObject | undefined> {
    try {
      return await this.client.get(p);
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }
}

export const cronJobController: ControllerFactory = () => new CronJobController();
