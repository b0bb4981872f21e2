/**
 * batch/v1.
 * Field numbers, JSON names and Go field shapes follow Kubernetes' types (see ../messages.ts).
 */
import type { ApiPackage } from '../registry.ts';

export const batch: ApiPackage = {
  name: 'batch',
  apiVersions: ['batch/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'Job+ CronJob+',
  messages: `
Job: 1 metadata ObjectMeta, 2 spec JobSpec, 3 status JobStatus
PodFailurePolicyOnExitCodesRequirement: 1 containerName *s, 2 operator!, 3 values []i32
PodFailurePolicyOnPodConditionsPattern: 1 type!, 2 status!
PodFailurePolicyRule: 1 action!, 2 onExitCodes *PodFailurePolicyOnExitCodesRequirement, 3 onPodConditions []PodFailurePolicyOnPodConditionsPattern
PodFailurePolicy: 1 rules []PodFailurePolicyRule
SuccessPolicy: 1 rules []SuccessPolicyRule
SuccessPolicyRule: 1 succeededIndexes *s, 2 succeededCount *i32
JobSpec: 1 parallelism *i32, 2 completions *i32, 3 activeDeadlineSeconds *i64, 11 podFailurePolicy *PodFailurePolicy, 16 successPolicy *SuccessPolicy, 7 backoffLimit *i32, 12 backoffLimitPerIndex *i32, 13 maxFailedIndexes *i32, 4 selector *LabelSelector, 5 manualSelector *b, 6 template PodTemplateSpec, 8 ttlSecondsAfterFinished *i32, 9 completionMode *s, 10 suspend *b, 14 podReplacementPolicy *s, 15 managedBy *s
JobStatus: 1 conditions []JobCondition, 2 startTime *Time, 3 completionTime *Time, 4 active i32, 5 succeeded i32, 6 failed i32, 11 terminating *i32, 7 completedIndexes, 10 failedIndexes *s, 8 uncountedTerminatedPods *UncountedTerminatedPods, 9 ready *i32
UncountedTerminatedPods: 1 succeeded []s, 2 failed []s
JobCondition: 1 type!, 2 status!, 3 lastProbeTime Time, 4 lastTransitionTime Time, 5 reason, 6 message
JobTemplateSpec: 1 metadata ObjectMeta, 2 spec JobSpec
CronJob: 1 metadata ObjectMeta, 2 spec CronJobSpec, 3 status CronJobStatus
CronJobSpec: 1 schedule!, 8 timeZone *s, 2 startingDeadlineSeconds *i64, 3 concurrencyPolicy, 4 suspend *b, 5 jobTemplate JobTemplateSpec, 6 successfulJobsHistoryLimit *i32, 7 failedJobsHistoryLimit *i32
CronJobStatus: 1 active []ObjectReference, 4 lastScheduleTime *Time, 5 lastSuccessfulTime *Time
`,
};
