/** batch/v1. */
import type { ResourceDefinition } from '../../types.ts';
import { cronjobs } from './cronjob.ts';
import { jobs } from './job.ts';

export function batchResources(): ResourceDefinition[] {
  return [cronjobs, jobs];
}
