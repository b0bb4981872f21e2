/** batch/v1 CronJob: SetDefaults_CronJob, ValidateCronJob and the registry strategy. */
import type { FieldError, KObject, ResourceDefinition, Strategy } from '../../types.ts';
import { FieldPath, invalid, notSupported, required, validateNonnegative } from '../../validation/index.ts';
import { defaultPodTemplateSpec } from '../core/podtemplate.ts';
import { defaultField, ensureObject, resetStatus, separateStatus, STANDARD_VERBS, type Json } from '../common.ts';
import { cronScheduleError } from './cron.ts';
import { validateJobSpecBody } from './jobspec.ts';

/** Jobs are named `<cronjob>-<11-character timestamp>` and must stay within 63 characters. */
const MAX_NAME_LENGTH = 52;

function defaults(obj: KObject): void {
  const spec = ensureObject(obj, 'spec');
  defaultField(spec, 'concurrencyPolicy', 'Allow');
  defaultField(spec, 'suspend', false);
  defaultField(spec, 'successfulJobsHistoryLimit', 3);
  defaultField(spec, 'failedJobsHistoryLimit', 1);
  // Only the pod template inside is defaulted; SetDefaults_Job applies to Jobs, not templates.
  defaultPodTemplateSpec(ensureObject(ensureObject(ensureObject(spec, 'jobTemplate'), 'spec'), 'template'));
}

function validateSchedule(schedule: string, oldSchedule: string | undefined, timeZone: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const parseError = cronScheduleError(schedule);
  if (parseError) errs.push(invalid(path, schedule, parseError));
  const allowTZ = (oldSchedule ?? '').includes('TZ');
  if (allowTZ && schedule.includes('TZ') && timeZone !== undefined && timeZone !== null) {
    errs.push(invalid(path, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  } else if (!allowTZ && schedule.includes('TZ')) {
    errs.push(invalid(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return errs;
}

function validateTimeZone(timeZone: unknown, path: FieldPath): FieldError[] {
  if (timeZone === undefined || timeZone === null) return [];
  const tz = String(timeZone);
  if (tz === '') return [invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !/^[A-Za-z.\-_0-9+]{1,14}$/.test(part)) return [invalid(path, tz, `unknown time zone ${tz}`)];
  }
  if (tz.toLowerCase() === 'local') return [invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    return [invalid(path, tz, `unknown time zone ${tz}`)];
  }
  return [];
}

function validateJobTemplate(template: Json, path: FieldPath): FieldError[] {
  const spec = template?.spec ?? {};
  const specPath = path.child('spec');
  const errs = validateJobSpecBody(spec, specPath);
  if (spec.selector !== undefined && spec.selector !== null) errs.push(invalid(specPath.child('selector'), spec.selector, '`selector` will be auto-generated'));
  if (spec.manualSelector === true) errs.push(notSupported(specPath.child('manualSelector'), true, ['nil', 'false']));
  return errs;
}

function validateSpec(obj: KObject, old?: KObject): FieldError[] {
  const spec = obj.spec ?? {};
  const path = FieldPath.root('spec');
  const errs: FieldError[] = [];
  if (!spec.schedule) errs.push(required(path.child('schedule')));
  else errs.push(...validateSchedule(spec.schedule, old?.spec?.schedule, spec.timeZone, path.child('schedule')));
  errs.push(...validateNonnegative(spec.startingDeadlineSeconds, path.child('startingDeadlineSeconds')));
  if (!old || old.spec?.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone, path.child('timeZone')));
  const policy = spec.concurrencyPolicy ?? '';
  if (policy === '') errs.push(required(path.child('concurrencyPolicy')));
  else if (!['Allow', 'Forbid', 'Replace'].includes(policy)) errs.push(notSupported(path.child('concurrencyPolicy'), policy, ['Allow', 'Forbid', 'Replace']));
  errs.push(...validateJobTemplate(spec.jobTemplate, path.child('jobTemplate')));
  errs.push(...validateNonnegative(spec.successfulJobsHistoryLimit, path.child('successfulJobsHistoryLimit')));
  errs.push(...validateNonnegative(spec.failedJobsHistoryLimit, path.child('failedJobsHistoryLimit')));
  return errs;
}

const strategy: Strategy = {
  defaults,
  prepareForCreate: resetStatus,
  prepareForUpdate: separateStatus,
  validate(obj) {
    const errs = validateSpec(obj);
    const name = obj.metadata.name ?? '';
    if (name.length > MAX_NAME_LENGTH) errs.push(invalid('metadata.name', name, `must be no more than ${MAX_NAME_LENGTH} characters`));
    return errs;
  },
  // Longer names from before the limit stay updatable, so the length is checked on create only.
  validateUpdate: (obj, old, ctx) => (ctx.subresource === 'status' ? [] : validateSpec(obj, old)),
};

export const cronjobs: ResourceDefinition = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  listKind: 'CronJobList',
  plural: 'cronjobs',
  singular: 'cronjob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  verbs: STANDARD_VERBS,
  subresources: ['status'],
  schema: 'io.k8s.api.batch.v1.CronJob',
  strategy,
  storagePath: 'cronjobs',
};
