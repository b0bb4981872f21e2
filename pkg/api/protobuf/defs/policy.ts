/**
 * policy/v1.
 * Field numbers, JSON names and Go field shapes follow Kubernetes' types (see ../messages.ts).
 */
import type { ApiPackage } from '../registry.ts';

export const policy: ApiPackage = {
  name: 'policy',
  apiVersions: ['policy/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'PodDisruptionBudget+ Eviction',
  messages: `
PodDisruptionBudgetSpec: 1 minAvailable *IntOrString, 2 selector *LabelSelector, 3 maxUnavailable *IntOrString, 4 unhealthyPodEvictionPolicy *s
PodDisruptionBudgetStatus: 1 observedGeneration i64, 2 disruptedPods {}Time, 3 disruptionsAllowed! i32, 4 currentHealthy! i32, 5 desiredHealthy! i32, 6 expectedPods! i32, 7 conditions []Condition
PodDisruptionBudget: 1 metadata ObjectMeta, 2 spec PodDisruptionBudgetSpec, 3 status PodDisruptionBudgetStatus
Eviction: 1 metadata ObjectMeta, 2 deleteOptions *DeleteOptions
`,
};
