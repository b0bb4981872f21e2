/**
 * One Job's reconcile (Kubernetes' syncJob): decide whether the job has met its success
 * criteria or must fail (backoffLimit, activeDeadlineSeconds), keep `parallelism` pods running
 * otherwise (manage.ts), then count finished pods and write the status (tracking.ts).
 *
 * Failure and success are two-step, as in 1.33: FailureTarget / SuccessCriteriaMet first,
 * then Failed / Complete once every pod was counted and none is still terminating, so
 * `kubectl wait --for=condition=complete` means no pod of the job still runs.
 * podFailurePolicy, successPolicy and backoffLimitPerIndex are not implemented: jobs that set
 * them run as if they did not. A job whose spec.managedBy names another controller is left to it.
 */
import type { KObject } from '../../api/types.ts';
import type { EventSink } from '../../client/events.ts';
import { nextBackoffRecord, type BackoffRecord } from './backoff.ts';
import { BACKOFF_LIMIT_EXCEEDED, COMPLETIONS_REACHED, DEADLINE_EXCEEDED, ensureCondition, findCondition, isJobFinished, newCondition, rfc3339, type JobCondition } from './conditions.ts';
import type { Expectations } from './expectations.ts';
import { hasIndex, parseIndexes, withIndexes, type Interval } from './indexes.ts';
import { manageJob } from './manage.ts';
import { completionIndex, hasTrackingFinalizer, isActive, isFailed, isReady, isSucceeded, isTerminating, restartsOfLivePods, type Pod } from './pods.ts';
import { removeFinalizers, trackStatus } from './tracking.ts';

/** The API writes of the controller; a fake in unit tests. Errors are ClientErrors. */
export interface JobWriter {
  createPod(pod: Pod): Promise<Pod>;
  deletePod(pod: Pod): Promise<void>;
  removeTrackingFinalizer(pod: Pod): Promise<void>;
  updateStatus(job: KObject): Promise<KObject>;
}

export interface JobDeps {
  writer: JobWriter;
  events: EventSink;
  expectations: Expectations;
  /** Per job key: failures since the last success, for the pod recreation backoff. */
  backoff: Map<string, BackoffRecord>;
  now(): Date;
}

/** What one sync works with (Kubernetes' syncJobCtx). */
export interface SyncContext {
  key: string;
  job: KObject;
  pods: Pod[];
  active: Pod[];
  now: Date;
  indexed: boolean;
  completions: number | undefined;
  succeeded: number;
  failed: number;
  ready: number;
  terminating: number;
  prevSucceededIndexes: Interval[];
  succeededIndexes: Interval[];
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  expectedRemovals: ReadonlySet<string>;
  newBackoff: BackoffRecord;
  /** FailureTarget or SuccessCriteriaMet (new or already set), or the Failed that follows a set FailureTarget. */
  finished?: JobCondition;
  /** Milliseconds until the job must be looked at again (deadline, backoff). */
  requeueMs?: number;
  /** The first failed pod write: the status is still written, then the sync is retried. */
  error?: unknown;
}

/** The value of spec.managedBy that means this controller (unset means it too). */
const JOB_CONTROLLER_MANAGER = 'kubernetes.io/job-controller';

export const managedHere = (job: KObject): boolean => !job.spec?.managedBy || job.spec.managedBy === JOB_CONTROLLER_MANAGER;
export const isIndexed = (job: KObject): boolean => job.spec?.completionMode === 'Indexed';
export const isSuspended = (job: KObject): boolean => job.spec?.suspend === true;

/** Reconciles one job against its pods; returns true when done or ms after which to look again. */
export async function syncJob(key: string, job: KObject, pods: Pod[], deps: JobDeps): Promise<true | number> {
  const now = deps.now();
  if (!managedHere(job)) return true;
  if (isJobFinished(job)) {
    // Pods that finished or were deleted after the job did only need their finalizer gone.
    await removeFinalizers(key, pods.filter(hasTrackingFinalizer), deps);
    deps.backoff.delete(key);
    return true;
  }
  job = structuredClone(job);
  job.status ??= {};
  const ctx = newContext(key, job, pods, deps, now);
  const satisfied = deps.expectations.satisfied(key);
  decideFailure(ctx);
  if (ctx.finished) {
    // The job failed or met its criteria: every running pod goes, keeping its finalizer so it is counted.
    const { deleted, deletedReady } = await deleteActive(ctx, deps);
    if (ctx.active.length > 0 || !satisfied) ctx.finished = undefined;
    ctx.terminating += deleted;
    ctx.ready -= deletedReady;
  }
  let activeCount = ctx.active.length;
  let suspendChanged = false;
  if (!ctx.finished) {
    let managed = false;
    if (satisfied && !job.metadata.deletionTimestamp) {
      activeCount = await manageJob(ctx, deps);
      managed = true;
    }
    const complete = ctx.completions === undefined ? ctx.succeeded > 0 && activeCount === 0 : ctx.succeeded >= ctx.completions && activeCount === 0;
    if (complete) {
      ctx.finished = newCondition('SuccessCriteriaMet', 'True', COMPLETIONS_REACHED.reason, COMPLETIONS_REACHED.message, now);
    } else if (managed) {
      suspendChanged = updateSuspended(ctx, deps);
    }
  }
  const status = job.status;
  const changed = suspendChanged || activeCount !== (status.active ?? 0) || ctx.ready !== status.ready || ctx.terminating !== status.terminating;
  status.active = activeCount;
  status.ready = ctx.ready;
  status.terminating = ctx.terminating;
  await trackStatus(ctx, deps, changed);
  if (ctx.error) throw ctx.error;
  return ctx.requeueMs ?? true;
}

function newContext(key: string, job: KObject, pods: Pod[], deps: JobDeps, now: Date): SyncContext {
  const status = job.status;
  const indexed = isIndexed(job);
  const completions = typeof job.spec?.completions === 'number' ? job.spec.completions : undefined;
  const uncounted = {
    succeeded: new Set<string>(status.uncountedTerminatedPods?.succeeded ?? []),
    failed: new Set<string>(status.uncountedTerminatedPods?.failed ?? []),
  };
  const expectedRemovals = deps.expectations.expectedFinalizerRemovals(key);
  const active = pods.filter(isActive);
  // Pods not yet counted: they still hold the finalizer and (Indexed) carry a valid index.
  const uncountedPod = (p: Pod, counted: Set<string>): boolean => {
    const uid = p.metadata.uid!;
    if (!hasTrackingFinalizer(p) || counted.has(uid) || expectedRemovals.has(uid)) return false;
    const ix = completionIndex(p);
    return !indexed || (ix >= 0 && ix < (completions ?? 0));
  };
  const newSucceeded = pods.filter((p) => uncountedPod(p, uncounted.succeeded) && isSucceeded(p));
  const newFailed = pods.filter((p) => uncountedPod(p, uncounted.failed) && isFailed(p, job));
  if (!status.startTime && !isSuspended(job)) status.startTime = rfc3339(now);
  const prevSucceededIndexes = indexed ? parseIndexes(status.completedIndexes, completions ?? 0) : [];
  const succeededIndexes = indexed ? succeededIndexesOf(pods, prevSucceededIndexes, completions ?? 0) : [];
  return {
    key,
    job,
    pods,
    active,
    now,
    indexed,
    completions,
    succeeded: indexed ? succeededIndexes.reduce((n, i) => n + i.last - i.first + 1, 0) : (status.succeeded ?? 0) + newSucceeded.length + uncounted.succeeded.size,
    failed: (status.failed ?? 0) + newFailed.length + uncounted.failed.size,
    ready: active.filter(isReady).length,
    terminating: pods.filter(isTerminating).length,
    prevSucceededIndexes,
    succeededIndexes,
    uncounted,
    expectedRemovals,
    newBackoff: nextBackoffRecord(deps.backoff.get(key) ?? { failuresAfterLastSuccess: 0 }, newSucceeded, newFailed, now),
  };
}

/** Indexes in status plus those of succeeded pods still holding the finalizer (calculateSucceededIndexes). */
function succeededIndexesOf(pods: Pod[], prev: Interval[], completions: number): Interval[] {
  const fresh = pods
    .filter((p) => isSucceeded(p) && hasTrackingFinalizer(p))
    .map(completionIndex)
    .filter((ix) => ix >= 0 && ix < completions && !hasIndex(prev, ix));
  return withIndexes(prev, fresh);
}

function decideFailure(ctx: SyncContext): void {
  const { job, now } = ctx;
  const met = findCondition(job, 'SuccessCriteriaMet');
  if (met?.status === 'True') {
    ctx.finished = met;
    return;
  }
  const target = findCondition(job, 'FailureTarget');
  if (target?.status === 'True') {
    ctx.finished = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
    return;
  }
  const backoffLimit = Number(job.spec?.backoffLimit ?? 6);
  const restarts = job.spec?.template?.spec?.restartPolicy === 'OnFailure' ? restartsOfLivePods(ctx.pods) : 0;
  const pastRestarts = job.spec?.template?.spec?.restartPolicy === 'OnFailure' && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit);
  const deadline = job.spec?.activeDeadlineSeconds;
  const started = Date.parse(job.status.startTime ?? '');
  if (ctx.failed > backoffLimit || pastRestarts) {
    ctx.finished = newCondition('FailureTarget', 'True', BACKOFF_LIMIT_EXCEEDED.reason, BACKOFF_LIMIT_EXCEEDED.message, now);
  } else if (typeof deadline === 'number' && !isSuspended(job) && !Number.isNaN(started)) {
    const left = started + deadline * 1000 - now.getTime();
    if (left <= 0) ctx.finished = newCondition('FailureTarget', 'True', DEADLINE_EXCEEDED.reason, DEADLINE_EXCEEDED.message, now);
    else requeueAfter(ctx, left);
  }
}

export function requeueAfter(ctx: SyncContext, ms: number): void {
  ctx.requeueMs = ctx.requeueMs === undefined ? ms : Math.min(ctx.requeueMs, ms);
}

/** Deletes the active pods, keeping their finalizers (deleteActivePods); ctx.active keeps those not deleted. */
async function deleteActive(ctx: SyncContext, deps: JobDeps): Promise<{ deleted: number; deletedReady: number }> {
  const left: Pod[] = [];
  let deletedReady = 0;
  await Promise.all(
    ctx.active.map(async (pod) => {
      try {
        await deps.writer.deletePod(pod);
      } catch (err) {
        if (!isNotFound(err)) {
          ctx.error ??= err;
          left.push(pod);
          return;
        }
      }
      if (isReady(pod)) deletedReady++;
    }),
  );
  const deleted = ctx.active.length - left.length;
  ctx.active = left;
  return { deleted, deletedReady };
}

export const isNotFound = (err: unknown): boolean => (err as { code?: number })?.code === 404;

/** The Suspended condition and its events follow spec.suspend; resuming restarts the deadline clock. */
function updateSuspended(ctx: SyncContext, deps: JobDeps): boolean {
  const { job, now } = ctx;
  if (isSuspended(job)) {
    const changed = ensureCondition(job.status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
    if (changed) deps.events.event(job, 'Normal', 'Suspended', 'Job suspended');
    return changed;
  }
  const changed = ensureCondition(job.status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
  if (changed) {
    deps.events.event(job, 'Normal', 'Resumed', 'Job resumed');
    job.status.startTime = rfc3339(now);
  }
  return changed;
}
