/**
 * Keeps the right number of pods running for a job that is neither finished nor failing
 * (Kubernetes' manageJob): min(parallelism, remaining completions) active pods, none while
 * suspended; replacements wait out the failure backoff; creations go in slow-start batches
 * (1, 2, 4, …) so a job that cannot create pods does not flood the API with failing requests.
 */
import { remainingBackoff } from './backoff.ts';
import { firstPendingIndexes } from './indexes.ts';
import { completionIndex, hasTrackingFinalizer, isReady, podFromTemplate, removalOrder, type Pod } from './pods.ts';
import { isNotFound, isSuspended, requeueAfter, type JobDeps, type SyncContext } from './sync.ts';

/** At most this many pods are created or deleted in one sync (MaxPodCreateDeletePerSync). */
const MAX_PER_SYNC = 500;

/** Creates or deletes pods; returns the number of active pods afterwards. */
export async function manageJob(ctx: SyncContext, deps: JobDeps): Promise<number> {
  const { job } = ctx;
  const active = ctx.active.length;
  if (isSuspended(job)) return active - (await deleteJobPods(ctx, deps, podsForRemoval(ctx, active)));
  const parallelism = Number(job.spec?.parallelism ?? 1);
  let want: number;
  if (ctx.completions === undefined) {
    // Without completions the first success ends the job: let the running pods finish, start no more.
    want = ctx.succeeded > 0 ? active : parallelism;
  } else {
    want = Math.max(0, Math.min(ctx.completions - ctx.succeeded, parallelism));
  }
  const excess = podsForRemoval(ctx, Math.max(0, active - want)).slice(0, MAX_PER_SYNC);
  // Deleting takes precedence over creating within one sync (duplicated indexes need both).
  if (excess.length > 0) return active - (await deleteJobPods(ctx, deps, excess));
  const terminating = job.spec?.podReplacementPolicy === 'Failed' ? ctx.terminating : 0;
  let diff = Math.min(want - terminating - active, MAX_PER_SYNC);
  if (diff <= 0) return active;
  const wait = remainingBackoff(ctx.newBackoff, ctx.now);
  if (wait > 0) {
    requeueAfter(ctx, wait);
    return active;
  }
  let indexes: number[] = [];
  if (ctx.indexed) {
    indexes = firstPendingIndexes(ctx.succeededIndexes, ctx.active, diff, ctx.completions ?? 0);
    diff = indexes.length;
  }
  return active + (await createPods(ctx, deps, diff, indexes));
}

async function createPods(ctx: SyncContext, deps: JobDeps, count: number, indexes: number[]): Promise<number> {
  if (count <= 0) return 0;
  const { job, key } = ctx;
  deps.expectations.expectCreations(key, count);
  let created = 0;
  let next = 0;
  for (let batch = 1; next < count; batch = Math.min(batch * 2, count - next)) {
    const size = Math.min(batch, count - next);
    const results = await Promise.all(
      Array.from({ length: size }, async (_, i) => {
        const pod = podFromTemplate(job, ctx.indexed ? indexes[next + i]! : -1);
        try {
          const made = await deps.writer.createPod(pod);
          deps.events.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${made.metadata.name}`);
          return true;
        } catch (err) {
          // The informer will never see this pod.
          deps.expectations.creationObserved(key);
          if (!isNamespaceTerminating(err)) {
            deps.events.event(job, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
            ctx.error ??= err;
          }
          return false;
        }
      }),
    );
    next += size;
    const ok = results.filter(Boolean).length;
    created += ok;
    if (ok < size) {
      // Likely the rest would fail alike: stop, and expect none of them; the retry starts over.
      for (let i = next; i < count; i++) deps.expectations.creationObserved(key);
      break;
    }
  }
  return created;
}

function isNamespaceTerminating(err: unknown): boolean {
  const causes = (err as { status?: { details?: { causes?: { reason?: string }[] } } })?.status?.details?.causes ?? [];
  return causes.some((c) => c.reason === 'NamespaceTerminating');
}

/**
 * Pods to delete, at least `atLeast`: for Indexed jobs first those without a valid index and
 * all but one pod of a repeated index, then the least advanced pods.
 */
export function podsForRemoval(ctx: SyncContext, atLeast: number): Pod[] {
  const remove: Pod[] = [];
  let left = ctx.active;
  if (ctx.indexed) {
    left = [];
    const byIndex = new Map<number, Pod[]>();
    for (const p of ctx.active) {
      const ix = completionIndex(p);
      if (ix < 0 || ix >= (ctx.completions ?? 0)) remove.push(p);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
    }
    for (const group of byIndex.values()) {
      // Keep the most advanced pod of the index.
      group.sort(removalOrder);
      remove.push(...group.slice(0, -1));
      left.push(group[group.length - 1]!);
    }
  }
  if (remove.length < atLeast) remove.push(...[...left].sort(removalOrder).slice(0, atLeast - remove.length));
  return remove;
}

/**
 * Deletes pods the job no longer wants (deleteJobPods): the finalizer goes first, so these
 * pods are not counted as failures. Returns how many were deleted.
 */
async function deleteJobPods(ctx: SyncContext, deps: JobDeps, pods: Pod[]): Promise<number> {
  if (pods.length === 0) return 0;
  const { job, key } = ctx;
  deps.expectations.expectDeletions(key, pods.length);
  const results = await Promise.all(
    pods.map(async (pod) => {
      try {
        if (hasTrackingFinalizer(pod)) await deps.writer.removeTrackingFinalizer(pod);
        await deps.writer.deletePod(pod);
        deps.events.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
      } catch (err) {
        deps.expectations.deletionObserved(key);
        if (!isNotFound(err)) {
          deps.events.event(job, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
          ctx.error ??= err;
          return false;
        }
      }
      if (isReady(pod)) ctx.ready--;
      ctx.terminating++;
      return true;
    }),
  );
  return results.filter(Boolean).length;
}
