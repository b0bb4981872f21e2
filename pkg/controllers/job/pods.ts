/**
 * What the Job controller reads off its pods and how it makes them: the tracking finalizer,
 * the completion index of Indexed jobs, and which pods count as active, failed or terminating
 * (Kubernetes' job_controller.go and pkg/controller helpers).
 */
import type { KObject } from '../../api/types.ts';

/** Held on every pod the controller creates until the pod's outcome is counted in the job's status. */
export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** Annotation and (since PodIndexLabel, GA in 1.32) label carrying an Indexed job's completion index. */
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

export type Pod = KObject;

export const phaseOf = (pod: Pod): string => pod.status?.phase ?? 'Pending';
export const isSucceeded = (pod: Pod): boolean => phaseOf(pod) === 'Succeeded';
export const isTerminal = (pod: Pod): boolean => ['Succeeded', 'Failed'].includes(phaseOf(pod));
export const hasTrackingFinalizer = (pod: Pod): boolean => (pod.metadata.finalizers ?? []).includes(TRACKING_FINALIZER);

/** Running or about to: not finished and not being deleted (controller.FilterActivePods). */
export const isActive = (pod: Pod): boolean => !isTerminal(pod) && !pod.metadata.deletionTimestamp;

/** Being deleted but not finished: the terminal condition waits for these (status.terminating). */
export const isTerminating = (pod: Pod): boolean => !!pod.metadata.deletionTimestamp && !isTerminal(pod);

/**
 * Failed, or deleted before it could succeed: orphaned and evicted pods never reach Failed,
 * so with the default podReplacementPolicy (TerminatingOrFailed) a deletion counts as a failure.
 */
export function isFailed(pod: Pod, job: KObject): boolean {
  if (phaseOf(pod) === 'Failed') return true;
  if (job.spec?.podReplacementPolicy === 'Failed') return false;
  return !!pod.metadata.deletionTimestamp && !isSucceeded(pod);
}

export function isReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
}

/** The pod's completion index, or -1 when it has none or it does not parse (Go's strconv.Atoi). */
export function completionIndex(pod: Pod): number {
  const value = pod.metadata.annotations?.[COMPLETION_INDEX];
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return -1;
  const n = Number(value);
  return n >= 0 && Number.isSafeInteger(n) ? n : -1;
}

/** When the pod finished: its containers' last finish, else its deletion, else `now`. */
export function finishedAt(pod: Pod, now: Date): number {
  let latest = 0;
  for (const s of pod.status?.containerStatuses ?? []) {
    const t = Date.parse(s?.state?.terminated?.finishedAt ?? '');
    if (t > latest) latest = t;
  }
  if (latest) return latest;
  const deleted = Date.parse(pod.metadata.deletionTimestamp ?? '');
  return Number.isNaN(deleted) ? now.getTime() : deleted;
}

/** Sum of container restarts of pending/running pods (backoffLimit for restartPolicy OnFailure). */
export function restartsOfLivePods(pods: Pod[]): number {
  let total = 0;
  for (const pod of pods) {
    if (!['Pending', 'Running'].includes(phaseOf(pod))) continue;
    for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) total += Number(s?.restartCount ?? 0);
  }
  return total;
}

/** Kubernetes caps generated name prefixes at 58 characters (names.MaxGeneratedNameLength). */
const MAX_GENERATE_NAME = 58;

/**
 * The pod a job creates from its template: the template's labels, annotations and spec, the
 * tracking finalizer, the job as controlling owner, and for Indexed jobs the completion index
 * (annotation, label, JOB_COMPLETION_INDEX from the label by the downward API) and the
 * hostname `<job>-<index>` that a headless service can resolve.
 */
export function podFromTemplate(job: KObject, index: number): Pod {
  const template = structuredClone(job.spec?.template ?? {});
  const meta = template.metadata ?? {};
  const spec = template.spec ?? {};
  const labels: Record<string, string> = { ...(meta.labels ?? {}) };
  const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
  let generateName = `${job.metadata.name}-`;
  if (index >= 0) {
    annotations[COMPLETION_INDEX] = String(index);
    labels[COMPLETION_INDEX] = String(index);
    spec.hostname = `${job.metadata.name}-${index}`;
    const suffix = `-${index}-`;
    generateName = `${job.metadata.name}${suffix}`;
    if (generateName.length > MAX_GENERATE_NAME) generateName = `${String(job.metadata.name).slice(0, MAX_GENERATE_NAME - suffix.length)}${suffix}`;
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      c.env ??= [];
      if (!c.env.some((e: { name: string }) => e.name === COMPLETION_INDEX_ENV)) {
        c.env.push({ name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX}']` } } });
      }
    }
  } else if (generateName.length > MAX_GENERATE_NAME) {
    generateName = generateName.slice(0, MAX_GENERATE_NAME);
  }
  const finalizers: string[] = [...(meta.finalizers ?? [])];
  if (!finalizers.includes(TRACKING_FINALIZER)) finalizers.push(TRACKING_FINALIZER);
  const metadata: Pod['metadata'] = {
    generateName,
    namespace: job.metadata.namespace,
    labels,
    finalizers,
    ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name!, uid: job.metadata.uid!, controller: true, blockOwnerDeletion: true }],
  };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

/** Kubernetes' ActivePods order, shortened: the pods least far along are deleted first. */
export function removalOrder(a: Pod, b: Pod): number {
  const rank = (p: Pod) => [p.spec?.nodeName ? 1 : 0, { Pending: 0, Unknown: 1, Running: 2 }[phaseOf(p)] ?? 0, isReady(p) ? 1 : 0];
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  // Newer pods first: they have done the least work.
  return String(b.metadata.creationTimestamp ?? '').localeCompare(String(a.metadata.creationTimestamp ?? ''));
}
