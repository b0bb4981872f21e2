/**
 * The TTL-after-finished controller: deletes a Job ttlSecondsAfterFinished after it finished
 * (the lastTransitionTime of its Complete or Failed condition). As in Kubernetes the deletion
 * is Foreground with the job's uid as precondition: the job disappears after the garbage
 * collector removed its pods, and a new job of the same name is never hit. Writes as
 * kube-system/ttl-after-finished-controller.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';

const SERVICE_ACCOUNT = 'ttl-after-finished-controller';
/** Timers beyond 2^31 ms fire at once: a far expiry is looked at again daily instead. */
const MAX_WAIT_MS = 24 * 3600_000;

const jobPath = (namespace: string, name: string) => resourcePath({ group: 'batch', version: 'v1', resource: 'jobs', namespace, name });

/** When the job finished, in epoch ms; undefined while it runs. */
export function finishedAt(job: KObject): number | undefined {
  const c = (job.status?.conditions ?? []).find((c: { type: string; status: string }) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  const t = Date.parse(c?.lastTransitionTime ?? '');
  return Number.isNaN(t) ? undefined : t;
}

/** Milliseconds until the job may be deleted (0: now), or undefined if it never expires. */
export function timeLeft(job: KObject, now: number): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (typeof ttl !== 'number' || job.metadata.deletionTimestamp) return undefined;
  const finished = finishedAt(job);
  if (finished === undefined) return undefined;
  return Math.max(0, finished + ttl * 1000 - now);
}

export class TtlAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: SERVICE_ACCOUNT, workers: 2, paused: true, retryMs: 1000 });
  private jobs!: Informer;
  private client!: Client;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.jobs = ctx.informers.informerFor({ group: 'batch', version: 'v1', resource: 'jobs' });
    const consider = (job: KObject) => {
      if (timeLeft(job, Date.now()) !== undefined) this.queue.add(objectKey(job));
    };
    this.jobs.onAdd(consider).onUpdate((_, job) => consider(job));
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean | number> {
    const cached = this.jobs.get(key);
    if (!cached) return true;
    const left = timeLeft(cached, Date.now());
    if (left === undefined) return true;
    if (left > 0) return Math.min(left, MAX_WAIT_MS);
    // The cache may be behind a change of the TTL: decide on the job as it is now.
    let fresh: KObject;
    try {
      fresh = await this.client.get(jobPath(cached.metadata.namespace!, cached.metadata.name!));
    } catch (err) {
      if ((err as { code?: number }).code === 404) return true;
      throw err;
    }
    const freshLeft = timeLeft(fresh, Date.now());
    if (freshLeft === undefined) return true;
    if (freshLeft > 0) return Math.min(freshLeft, MAX_WAIT_MS);
    try {
      await this.client.delete(jobPath(fresh.metadata.namespace!, fresh.metadata.name!), { propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata.uid } });
    } catch (err) {
      // Gone, or replaced by another job of that name (uid precondition): nothing to do.
      if ([404, 409].includes((err as { code?: number }).code ?? 0)) return true;
      throw err;
    }
    return true;
  }
}

export const ttlAfterFinishedController: ControllerFactory = () => new TtlAfterFinishedController();
