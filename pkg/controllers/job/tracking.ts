/**
 * Counting finished pods with the tracking finalizer (Kubernetes' trackJobStatusAndRemoveFinalizers):
 *  1. a finished (or deleted) pod's UID goes into status.uncountedTerminatedPods, written first;
 *  2. then its finalizer is removed, so the pod may disappear;
 *  3. then the UID moves from the uncounted list into succeeded/failed.
 * A crash between any two steps loses nothing and counts nothing twice: a pod is counted from
 * the status while it is listed there, from its finalizer while it still has one.
 * Indexed jobs count successes by index in completedIndexes instead of by UID.
 * Finally Complete/Failed replaces the interim condition once nothing is uncounted or terminating.
 */
import type { KObject } from '../../api/types.ts';
import { ensureCondition, newCondition, rfc3339 } from './conditions.ts';
import { formatIndexes, hasIndex, totalIndexes, withIndexes } from './indexes.ts';
import { completionIndex, hasTrackingFinalizer, isFailed, isSucceeded, type Pod } from './pods.ts';
import type { JobDeps, SyncContext } from './sync.ts';

/** Caps the UIDs listed in status (and finalizers removed per sync), keeping the status small. */
const MAX_UNCOUNTED = 500;

export async function trackStatus(ctx: SyncContext, deps: JobDeps, needsFlush: boolean): Promise<void> {
  const { key, now } = ctx;
  let job = ctx.job;
  const status = job.status;
  const uncounted = (status.uncountedTerminatedPods ??= {}) as { succeeded?: string[]; failed?: string[] };
  uncounted.succeeded ??= [];
  uncounted.failed ??= [];
  const withFinalizer = new Set(ctx.pods.filter((p) => hasTrackingFinalizer(p) && !ctx.expectedRemovals.has(p.metadata.uid!)).map((p) => p.metadata.uid!));
  if (countRemoved(status, withFinalizer)) needsFlush = true;

  const toRemove: Pod[] = [];
  const newIndexes: number[] = [];
  const failing = ctx.finished !== undefined && ctx.finished.type !== 'SuccessCriteriaMet';
  let capped = false;
  const pods = ctx.indexed ? [...ctx.pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : ctx.pods;
  for (const pod of pods) {
    const uid = pod.metadata.uid!;
    if (!hasTrackingFinalizer(pod) || ctx.expectedRemovals.has(uid)) continue;
    const failed = isFailed(pod, job);
    if (!(job.metadata.deletionTimestamp || ctx.finished || isSucceeded(pod) || failed)) continue;
    toRemove.push(pod);
    const ix = completionIndex(pod);
    const validIndex = ix >= 0 && ix < (ctx.completions ?? 0);
    if (isSucceeded(pod) && !ctx.uncounted.failed.has(uid)) {
      if (ctx.indexed) {
        if (validIndex && !hasIndex(ctx.prevSucceededIndexes, ix)) newIndexes.push(ix);
      } else if (!ctx.uncounted.succeeded.has(uid)) {
        uncounted.succeeded.push(uid);
        needsFlush = true;
      }
    } else if ((failed || failing) && !ctx.uncounted.failed.has(uid) && (!ctx.indexed || validIndex)) {
      // Once the job fails, every pod not yet finished counts as failed.
      uncounted.failed.push(uid);
      needsFlush = true;
    }
    if (newIndexes.length + uncounted.succeeded.length + uncounted.failed.length >= MAX_UNCOUNTED) {
      capped = true;
      break;
    }
  }
  if (ctx.indexed) {
    const indexes = withIndexes(ctx.succeededIndexes, newIndexes);
    const text = formatIndexes(indexes);
    if (text !== (status.completedIndexes ?? '')) needsFlush = true;
    status.completedIndexes = text;
    status.succeeded = totalIndexes(indexes);
  }
  let final = ctx.finished;
  if (final?.type === 'FailureTarget') {
    // The interim condition is written before any finalizer goes, so the reason survives a crash.
    status.conditions = [...(status.conditions ?? []), final];
    needsFlush = true;
    final = newCondition('Failed', 'True', final.reason ?? '', final.message ?? '', now);
  } else if (final?.type === 'SuccessCriteriaMet') {
    if (!(status.conditions ?? []).some((c: { type: string }) => c.type === 'SuccessCriteriaMet')) {
      status.conditions = [...(status.conditions ?? []), final];
      needsFlush = true;
    }
    final = newCondition('Complete', 'True', final.reason ?? '', final.message ?? '', now);
  }

  if (needsFlush) {
    job = ctx.job = await deps.writer.updateStatus(job);
    deps.backoff.set(key, ctx.newBackoff);
    needsFlush = false;
  }
  const removed = await removeFinalizers(key, toRemove, deps, ctx);
  for (const uid of removed) withFinalizer.delete(uid);
  if (countRemoved(job.status, withFinalizer)) needsFlush = true;
  if (ctx.error && needsFlush) {
    // Some removals failed: keep what progress there was.
    ctx.job = await deps.writer.updateStatus(job);
    return;
  }
  if (ctx.error) return;
  const finished = !capped && final !== undefined && enactFinished(job, final, ctx.terminating, now);
  if (finished) needsFlush = true;
  if (needsFlush) ctx.job = await deps.writer.updateStatus(job);
  if (finished && final) recordFinished(ctx.job, final, deps);
}

/** Moves UIDs whose pods no longer hold the finalizer from the uncounted lists into the counters. */
function countRemoved(status: KObject['status'], withFinalizer: Set<string>): boolean {
  const uncounted = status.uncountedTerminatedPods ?? {};
  let changed = false;
  for (const [list, counter] of [['succeeded', 'succeeded'], ['failed', 'failed']] as const) {
    const before: string[] = uncounted[list] ?? [];
    const still = before.filter((uid) => withFinalizer.has(uid));
    if (still.length !== before.length) {
      changed = true;
      status[counter] = (status[counter] ?? 0) + before.length - still.length;
      uncounted[list] = still;
    }
  }
  return changed;
}

/** Sets Complete or Failed when every pod is counted and none is terminating (enactJobFinished). */
function enactFinished(job: KObject, final: { type: string; reason?: string; message?: string }, terminating: number, now: Date): boolean {
  const uncounted = job.status.uncountedTerminatedPods ?? {};
  if ((uncounted.succeeded?.length ?? 0) + (uncounted.failed?.length ?? 0) > 0) return false;
  if (terminating > 0) return false;
  ensureCondition(job.status, final.type, 'True', final.reason ?? '', final.message ?? '', now);
  if (final.type === 'Complete') job.status.completionTime = rfc3339(now);
  return true;
}

function recordFinished(job: KObject, final: { type: string; reason?: string; message?: string }, deps: JobDeps): void {
  if (final.type === 'Complete') {
    const completions = job.spec?.completions;
    if (typeof completions === 'number' && (job.status?.succeeded ?? 0) > completions) {
      deps.events.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
    }
    deps.events.event(job, 'Normal', 'Completed', 'Job completed');
  } else {
    deps.events.event(job, 'Warning', final.reason ?? 'Failed', final.message ?? '');
  }
}

/**
 * Removes the tracking finalizer from the pods, expecting to see each removal in the informer;
 * returns the UIDs whose finalizer is gone (a pod already deleted counts as gone).
 */
export async function removeFinalizers(key: string, pods: Pod[], deps: JobDeps, ctx?: SyncContext): Promise<Set<string>> {
  const removed = new Set<string>();
  if (pods.length === 0) return removed;
  deps.expectations.expectFinalizersRemoved(key, pods.map((p) => p.metadata.uid!));
  await Promise.all(
    pods.map(async (pod) => {
      try {
        await deps.writer.removeTrackingFinalizer(pod);
      } catch (err) {
        deps.expectations.finalizerRemovalObserved(key, pod.metadata.uid!);
        if ((err as { code?: number }).code !== 404) {
          if (ctx) ctx.error ??= err;
          else throw err;
          return;
        }
      }
      removed.add(pod.metadata.uid!);
    }),
  );
  return removed;
}
