/**
 * One CronJob's reconcile (Kubernetes' cronjob controllerv2 syncCronJob): reconcile
 * status.active with the jobs that exist, start the most recent missed run unless it is too
 * late (startingDeadlineSeconds) or concurrencyPolicy says no, trim finished jobs to the
 * history limits, and come back at the next scheduled time.
 */
import type { KObject } from '../../api/types.ts';
import type { EventSink } from '../../client/events.ts';
import { isJobFinished, rfc3339 } from '../job/conditions.ts';
import { mostRecentTime, nextTime, parseSchedule, wallMs, type Schedule } from './schedule.ts';

export const SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Kubernetes warns when more runs than this were missed (and starts only the latest). */
const TOO_MANY_MISSED = 100;

/** The API writes of the controller; a fake in unit tests. Errors are ClientErrors. */
export interface CronJobWriter {
  createJob(job: KObject): Promise<KObject>;
  /** Deletes with propagationPolicy Background: the garbage collector removes the pods. */
  deleteJob(namespace: string, name: string): Promise<void>;
  /** undefined when not found. */
  getJob(namespace: string, name: string): Promise<KObject | undefined>;
  getCronJob(namespace: string, name: string): Promise<KObject | undefined>;
  updateStatus(cronJob: KObject): Promise<KObject>;
}

export interface CronJobDeps {
  writer: CronJobWriter;
  events: EventSink;
  now(): Date;
}

interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
}

const succeeded = (job: KObject) => (job.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Complete' && c.status === 'True');
const isNotFound = (err: unknown) => (err as { code?: number })?.code === 404;
const isAlreadyExists = (err: unknown) => (err as { code?: number })?.code === 409;

/** `<cronjob>-<scheduled time in minutes since the epoch>`: the same run always gets the same name. */
export const jobName = (cronJob: KObject, scheduled: Date): string => `${cronJob.metadata.name}-${Math.floor(scheduled.getTime() / 60_000)}`;

/** Reconciles one CronJob against the jobs it owns; true when done, or ms until the next look. */
export async function syncCronJob(cronJob: KObject, jobs: KObject[], deps: CronJobDeps): Promise<true | number> {
  const { writer, events } = deps;
  const now = deps.now();
  let cj = structuredClone(cronJob);
  const original = JSON.stringify(cj.status ?? {});
  cj.status ??= {};
  const ns = cj.metadata.namespace!;

  const children = new Set(jobs.map((j) => j.metadata.uid));
  for (const job of jobs) {
    const active = isActive(cj, job.metadata.uid!);
    const finished = isJobFinished(job);
    if (!active && !finished) {
      // Perhaps only our cache of the CronJob is behind our own status write.
      const fresh = await writer.getCronJob(ns, cj.metadata.name!);
      if (fresh && isActive(fresh, job.metadata.uid!)) {
        cj = { ...cj, status: structuredClone(fresh.status), metadata: { ...cj.metadata, resourceVersion: fresh.metadata.resourceVersion } };
        continue;
      }
      events.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata.name}`);
    } else if (active && finished) {
      removeActive(cj, job.metadata.uid!);
      events.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${succeeded(job) ? 'Complete' : 'Failed'}`);
    }
    if (succeeded(job) && job.status?.completionTime) {
      const last = cj.status.lastSuccessfulTime;
      if (!last || Date.parse(job.status.completionTime) > Date.parse(last)) cj.status.lastSuccessfulTime = job.status.completionTime;
    }
  }
  for (const ref of [...((cj.status.active ?? []) as ObjectReference[])]) {
    if (children.has(ref.uid)) continue;
    const job = await writer.getJob(ref.namespace ?? ns, ref.name!);
    if (!job || job.metadata.uid !== ref.uid) {
      removeActive(cj, ref.uid!);
      events.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
    }
  }

  const deleted = await trimHistory(cj, jobs, deps);
  const result = await startDue(cj, jobs.filter((j) => !deleted.has(j.metadata.uid!)), deps, now);
  if (JSON.stringify(cj.status) !== original) await writer.updateStatus(withoutEmptyActive(cj));
  return result;
}

const isActive = (cj: KObject, uid: string): boolean => ((cj.status?.active ?? []) as ObjectReference[]).some((r) => r.uid === uid);

function removeActive(cj: KObject, uid: string): void {
  cj.status.active = ((cj.status.active ?? []) as ObjectReference[]).filter((r) => r.uid !== uid);
}

/** Go's omitempty: no `active: []` once the last job left. */
function withoutEmptyActive(cj: KObject): KObject {
  if (cj.status.active?.length !== 0) return cj;
  const status = { ...cj.status };
  delete status.active;
  return { ...cj, status };
}

/** Starts the run that is due, if any; returns when to look again. */
async function startDue(cj: KObject, jobs: KObject[], deps: CronJobDeps, now: Date): Promise<true | number> {
  const { writer, events } = deps;
  if (cj.metadata.deletionTimestamp || cj.spec?.suspend === true) return true;
  let schedule: Schedule;
  try {
    schedule = parseSchedule(cj.spec?.schedule ?? '', cj.spec?.timeZone ?? undefined);
  } catch (err) {
    if (err instanceof RangeError) events.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(cj.spec?.timeZone)}: ${err.message}`);
    else events.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(cj.spec?.schedule)} : ${(err as Error).message}`);
    return true;
  }
  const untilNext = (): true | number => {
    const next = nextTime(schedule, now);
    // A little after the time, so the clock has surely passed it (nextScheduleTimeDuration).
    return next ? next.getTime() - now.getTime() + 100 : true;
  };
  const deadline = cj.spec?.startingDeadlineSeconds;
  let earliest = new Date(cj.status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? now.toISOString());
  if (typeof deadline === 'number') earliest = new Date(Math.max(earliest.getTime(), now.getTime() - deadline * 1000));
  const { time: scheduled, missed } = mostRecentTime(schedule, earliest, now);
  if (!scheduled) return untilNext();
  if (missed > TOO_MANY_MISSED) {
    events.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  }
  if (typeof deadline === 'number' && scheduled.getTime() + deadline * 1000 < now.getTime()) {
    events.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${scheduled.toUTCString()}`);
    return untilNext();
  }
  const name = jobName(cj, scheduled);
  const active = (cj.status.active ?? []) as ObjectReference[];
  if (active.some((r) => r.name === name) || cj.status.lastScheduleTime === rfc3339(scheduled)) return untilNext();
  const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
  if (policy === 'Forbid' && active.length > 0) {
    events.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return untilNext();
  }
  if (policy === 'Replace') {
    for (const ref of active) {
      await deleteJob(cj, ref.name!, deps);
      removeActive(cj, ref.uid!);
    }
  }
  let job: KObject;
  try {
    job = await writer.createJob(jobFromTemplate(cj, scheduled, name));
    events.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
  } catch (err) {
    if (!isAlreadyExists(err)) {
      events.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
      throw err;
    }
    // Created by an earlier sync whose status write was lost: take it up if it is ours.
    const existing = jobs.find((j) => j.metadata.name === name) ?? (await writer.getJob(cj.metadata.namespace!, name));
    if (!existing || !(existing.metadata.ownerReferences ?? []).some((r) => r.uid === cj.metadata.uid)) return untilNext();
    job = existing;
  }
  if (!isJobFinished(job) && !isActive(cj, job.metadata.uid!)) {
    (cj.status.active ??= []).push({ kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion });
  }
  cj.status.lastScheduleTime = rfc3339(scheduled);
  return untilNext();
}

/** The Job of one run: the template's labels, annotations and spec, plus the scheduled time. */
export function jobFromTemplate(cj: KObject, scheduled: Date, name: string): KObject {
  const template = cj.spec?.jobTemplate ?? {};
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cj.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP]: zonedRfc3339(scheduled, cj.spec?.timeZone ?? undefined) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name!, uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(template.spec ?? {}),
  };
}

/** RFC 3339 on the zone's clock with its offset (UTC without spec.timeZone, as Go's LoadLocation("")). */
function zonedRfc3339(t: Date, timeZone: string | undefined): string {
  if (!timeZone) return rfc3339(t);
  const offsetMin = Math.round((wallMs(t.getTime(), timeZone) - t.getTime()) / 60_000);
  if (offsetMin === 0) return rfc3339(t);
  const wall = rfc3339(new Date(t.getTime() + offsetMin * 60_000)).slice(0, -1);
  const abs = Math.abs(offsetMin);
  return `${wall}${offsetMin < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

async function deleteJob(cj: KObject, name: string, deps: CronJobDeps): Promise<boolean> {
  try {
    await deps.writer.deleteJob(cj.metadata.namespace!, name);
  } catch (err) {
    if (isNotFound(err)) return true;
    deps.events.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(err as Error).message}`);
    throw err;
  }
  deps.events.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${name}`);
  return true;
}

/** Deletes the oldest finished jobs beyond the history limits; returns their uids. */
async function trimHistory(cj: KObject, jobs: KObject[], deps: CronJobDeps): Promise<Set<string>> {
  const deleted = new Set<string>();
  const finished = jobs.filter((j) => isJobFinished(j) && !j.metadata.deletionTimestamp);
  const groups: [KObject[], unknown][] = [
    [finished.filter(succeeded), cj.spec?.successfulJobsHistoryLimit],
    [finished.filter((j) => !succeeded(j)), cj.spec?.failedJobsHistoryLimit],
  ];
  for (const [group, limit] of groups) {
    if (typeof limit !== 'number' || group.length <= limit) continue;
    // Oldest start first; jobs that never started go last, by name.
    group.sort((a, b) => {
      const sa = a.status?.startTime;
      const sb = b.status?.startTime;
      if (sa && sb && sa !== sb) return Date.parse(sa) - Date.parse(sb);
      if (!sa !== !sb) return sa ? -1 : 1;
      return String(a.metadata.name).localeCompare(String(b.metadata.name));
    });
    for (const job of group.slice(0, group.length - limit)) {
      if (await deleteJob(cj, job.metadata.name!, deps)) deleted.add(job.metadata.uid!);
    }
  }
  return deleted;
}
