/**
 * The Job controller: runs a job's pods to completion (sync.ts) and removes the tracking
 * finalizer from pods whose job is gone or finished (orphans). Writes as
 * kube-system/job-controller, events as job-controller.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import type { EventSink } from '../../client/events.ts';
import { byControllerUid, CONTROLLER_INDEX } from '../../client/factory.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import { claim } from '../replicaset/claim.ts';
import { ORPHAN_INDEX, orphansByNamespace } from '../replicaset/controller.ts';
import type { BackoffRecord } from './backoff.ts';
import { isJobFinished } from './conditions.ts';
import { Expectations } from './expectations.ts';
import { hasTrackingFinalizer, TRACKING_FINALIZER, type Pod } from './pods.ts';
import { managedHere, syncJob, type JobDeps, type JobWriter } from './sync.ts';
import { removeFinalizers } from './tracking.ts';

const SERVICE_ACCOUNT = 'job-controller';
const COMPONENT = 'job-controller';
/** Pod changes of one job within this window make one sync (syncJobBatchPeriod). */
const BATCH_MS = 1000;
/** Keys of pods to free from the finalizer, kept apart from job keys in the one queue. */
const ORPHAN = 'orphan:';
/** Timers beyond 2^31 ms fire at once: far deadlines are looked at again daily instead. */
const MAX_WAIT_MS = 24 * 3600_000;

const jobsPath = (namespace: string, name?: string, subresource?: string) => resourcePath({ group: 'batch', version: 'v1', resource: 'jobs', namespace, name, subresource });
const podsPath = (namespace: string, name?: string) => resourcePath({ version: 'v1', resource: 'pods', namespace, name });

export class JobController implements Controller {
  readonly name = 'job';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: COMPONENT, workers: 4, paused: true, retryMs: 1000, maxRetryMs: 60_000 });
  private readonly expectations = new Expectations();
  private readonly backoff = new Map<string, BackoffRecord>();
  private jobs!: Informer;
  private pods!: Informer;
  private client!: Client;
  private events!: EventSink;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = ctx.recorderFor(SERVICE_ACCOUNT, COMPONENT);
    this.jobs = ctx.informers.informerFor({ group: 'batch', version: 'v1', resource: 'jobs' });
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' }).addIndex(CONTROLLER_INDEX, byControllerUid).addIndex(ORPHAN_INDEX, orphansByNamespace);
    this.jobs
      .onAdd((job) => this.queue.add(objectKey(job)))
      .onUpdate((_, job) => this.queue.add(objectKey(job)))
      .onDelete((job) => this.jobGone(job));
    this.pods
      .onAdd((pod) => (pod.metadata.deletionTimestamp ? this.podDeleted(pod, false) : this.podAdded(pod)))
      .onUpdate((old, pod) => this.podUpdated(old, pod))
      .onDelete((pod) => this.podDeleted(pod, true));
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  /** The job controlling the pod, if it is the one in the cache (same uid). */
  private jobOf(pod: Pod): KObject | undefined {
    const ref = (pod.metadata.ownerReferences ?? []).find((r) => r.controller);
    if (!ref || ref.kind !== 'Job' || !ref.apiVersion?.startsWith('batch/')) return undefined;
    const job = this.jobs.get(`${pod.metadata.namespace}/${ref.name}`);
    return job?.metadata.uid === ref.uid ? job : undefined;
  }

  private syncSoon(job: KObject): void {
    this.queue.addAfter(objectKey(job), BATCH_MS);
  }

  private orphan(pod: Pod): void {
    if (hasTrackingFinalizer(pod)) this.queue.add(`${ORPHAN}${objectKey(pod)}`);
  }

  private podAdded(pod: Pod): void {
    const job = this.jobOf(pod);
    if (!job) return this.orphan(pod);
    this.expectations.creationObserved(objectKey(job));
    this.syncSoon(job);
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (pod.metadata.deletionTimestamp) return this.podDeleted(pod, false);
    const previous = this.jobOf(old);
    const job = this.jobOf(pod);
    if (previous && previous !== job) this.syncSoon(previous);
    if (!job) return this.orphan(pod);
    if (!hasTrackingFinalizer(pod)) this.expectations.finalizerRemovalObserved(objectKey(job), pod.metadata.uid!);
    this.syncSoon(job);
  }

  /** `final`: the pod is gone from the API; otherwise it only got its deletion timestamp. */
  private podDeleted(pod: Pod, final: boolean): void {
    const job = this.jobOf(pod);
    if (!job || isJobFinished(job)) return this.orphan(pod);
    const key = objectKey(job);
    this.expectations.deletionObserved(key);
    if (final || !hasTrackingFinalizer(pod)) this.expectations.finalizerRemovalObserved(key, pod.metadata.uid!);
    this.syncSoon(job);
  }

  private jobGone(job: KObject): void {
    const key = objectKey(job);
    this.expectations.forget(key);
    this.backoff.delete(key);
    for (const pod of this.pods.byIndex(CONTROLLER_INDEX, job.metadata.uid!)) this.orphan(pod);
  }

  async reconcile(key: string): Promise<boolean | number> {
    if (key.startsWith(ORPHAN)) return this.reconcileOrphan(key.slice(ORPHAN.length));
    const job = this.jobs.get(key);
    if (!job) return true;
    // A finished job adopts nothing any more, as in Kubernetes.
    const pods = isJobFinished(job) || !managedHere(job) ? this.pods.byIndex(CONTROLLER_INDEX, job.metadata.uid!) : await this.claimPods(key, job);
    const result = await syncJob(key, job, pods, this.deps());
    return result === true ? true : Math.min(result, MAX_WAIT_MS);
  }

  /**
   * The job's pods after adopting orphans its selector matches (with the tracking finalizer,
   * so they are counted like its own) and releasing its pods that no longer match.
   */
  private async claimPods(key: string, job: KObject): Promise<Pod[]> {
    const uid = job.metadata.uid!;
    const candidates = [...this.pods.byIndex(CONTROLLER_INDEX, uid), ...this.pods.byIndex(ORPHAN_INDEX, job.metadata.namespace!)];
    const claimed = await claim(candidates, {
      owner: job,
      selector: job.spec?.selector ?? {},
      ref: { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name!, uid, controller: true, blockOwnerDeletion: true },
      patch: (pod, body) => {
        const adopting = (body as { metadata: { ownerReferences: { $patch?: string }[] } }).metadata.ownerReferences.some((r) => !r.$patch);
        const patch = adopting ? { metadata: { ...(body as { metadata: object }).metadata, finalizers: [TRACKING_FINALIZER] } } : body;
        return this.client.patch(podsPath(pod.metadata.namespace!, pod.metadata.name), patch, 'strategic');
      },
      canAdopt: async () => {
        const fresh = await this.client.get(jobsPath(job.metadata.namespace!, job.metadata.name));
        if (fresh.metadata.uid !== uid) throw new Error(`original Job ${key} is gone: got uid ${fresh.metadata.uid}, wanted ${uid}`);
        if (fresh.metadata.deletionTimestamp) throw new Error(`Job ${key} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      },
    });
    // Adopted pods hold the finalizer from now on: count them as such before the cache shows it.
    return claimed.map((p) => (hasTrackingFinalizer(p) || (p.metadata.ownerReferences ?? []).some((r) => r.uid === uid) ? p : { ...p, metadata: { ...p.metadata, finalizers: [...(p.metadata.finalizers ?? []), TRACKING_FINALIZER] } }));
  }

  /** A pod whose job is gone or finished only needs its finalizer removed. */
  private async reconcileOrphan(podKey: string): Promise<boolean> {
    const pod = this.pods.get(podKey);
    if (!pod || !hasTrackingFinalizer(pod)) return true;
    const job = this.jobOf(pod);
    if (job && !isJobFinished(job)) return true;
    await removeFinalizers('', [pod], this.deps());
    return true;
  }

  private deps(): JobDeps {
    return { writer: this.writer, events: this.events, expectations: this.expectations, backoff: this.backoff, now: () => new Date() };
  }

  private readonly writer: JobWriter = {
    createPod: (pod) => this.client.create(podsPath(pod.metadata.namespace!), pod),
    deletePod: async (pod) => {
      // The uid precondition keeps a later pod of the same name safe.
      await this.client.delete(podsPath(pod.metadata.namespace!, pod.metadata.name), { preconditions: { uid: pod.metadata.uid } });
    },
    removeTrackingFinalizer: async (pod) => {
      await this.client.patch(podsPath(pod.metadata.namespace!, pod.metadata.name), { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [TRACKING_FINALIZER] } }, 'strategic');
    },
    updateStatus: (job) => this.client.update(jobsPath(job.metadata.namespace!, job.metadata.name, 'status'), withoutEmptyLists(job)),
  };
}

/** Go's omitempty drops empty uncountedTerminatedPods lists; so does the controller. */
function withoutEmptyLists(job: KObject): KObject {
  const uncounted = job.status?.uncountedTerminatedPods;
  if (!uncounted) return job;
  const out = { ...job, status: { ...job.status, uncountedTerminatedPods: { ...uncounted } } };
  for (const list of ['succeeded', 'failed']) if (out.status.uncountedTerminatedPods[list]?.length === 0) delete out.status.uncountedTerminatedPods[list];
  return out;
}

export const jobController: ControllerFactory = () => new JobController();
