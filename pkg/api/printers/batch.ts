/** Jobs and CronJobs: STATUS, COMPLETIONS and DURATION as printers.go computes them. */
import type { KObject } from '../types.ts';
import {
  ageColumn,
  ageOf,
  boolPtr,
  col,
  conditionsOf,
  containerCells,
  int,
  nameColumn,
  nameOf,
  printer,
  templateColumns,
} from './columns.ts';
import { doc } from './descriptions.ts';
import { formatAge, formatSpan } from './duration.ts';
import { formatLabelSelector } from './labels.ts';

/** The first condition of the type decides, as Kubernetes' hasJobCondition does. */
function jobCondition(job: KObject, type: string): boolean {
  const found = conditionsOf(job.status).find((c) => c.type === type);
  return found?.status === 'True';
}

function jobStatus(job: KObject): string {
  if (jobCondition(job, 'Complete')) return 'Complete';
  if (jobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (jobCondition(job, 'Suspended')) return 'Suspended';
  if (jobCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

function completions(job: KObject): string {
  const succeeded = int(job.status?.succeeded);
  if (typeof job.spec?.completions === 'number') return `${succeeded}/${job.spec.completions}`;
  const parallelism = int(job.spec?.parallelism);
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(job: KObject, now: Date): string {
  if (!job.status?.startTime) return '';
  return formatSpan(job.status.startTime, job.status.completionTime, now);
}

export const jobPrinter = printer(
  [
    nameColumn,
    col('Status', 'Status of the job.'),
    col('Completions', doc.jobSucceeded),
    col('Duration', 'Time required to complete the job.'),
    ageColumn,
    ...templateColumns(doc.jobSelector),
  ],
  (job, now) => [
    nameOf(job),
    jobStatus(job),
    completions(job),
    jobDuration(job, now),
    ageOf(job, now),
    ...containerCells(job.spec?.template?.spec?.containers),
    formatLabelSelector(job.spec?.selector),
  ],
);

export const cronJobPrinter = printer(
  [
    nameColumn,
    col('Schedule', doc.cronSchedule),
    col('Timezone', doc.cronTimeZone),
    col('Suspend', doc.cronSuspend, 'boolean'),
    col('Active', doc.cronActive, 'integer'),
    col('Last Schedule', doc.cronLastSchedule),
    ageColumn,
    ...templateColumns(doc.jobSelector),
  ],
  (cron, now) => {
    const jobSpec = cron.spec?.jobTemplate?.spec;
    const last = cron.status?.lastScheduleTime;
    return [
      nameOf(cron),
      cron.spec?.schedule ?? '',
      typeof cron.spec?.timeZone === 'string' ? cron.spec.timeZone : '<none>',
      boolPtr(cron.spec?.suspend),
      (cron.status?.active ?? []).length,
      last ? formatAge(last, now) : '<none>',
      ageOf(cron, now),
      ...containerCells(jobSpec?.template?.spec?.containers),
      formatLabelSelector(jobSpec?.selector),
    ];
  },
);
