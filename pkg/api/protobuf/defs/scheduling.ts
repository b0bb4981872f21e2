/**
 * scheduling.k8s.io/v1.
 * Field numbers, JSON names and Go field shapes follow Kubernetes' types (see ../messages.ts).
 */
import type { ApiPackage } from '../registry.ts';

export const scheduling: ApiPackage = {
  name: 'scheduling',
  apiVersions: ['scheduling.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'PriorityClass+',
  messages: `
PriorityClass: 1 metadata ObjectMeta, 2 value! i32, 3 globalDefault b, 4 description, 5 preemptionPolicy *s
`,
};
