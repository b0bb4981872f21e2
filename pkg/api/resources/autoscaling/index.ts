/** autoscaling/v2 (stored, preferred) and autoscaling/v1 (converted view). */
import type { ResourceDefinition } from '../../types.ts';
import { horizontalpodautoscalersV2 } from './hpa.ts';
import { horizontalpodautoscalersV1 } from './v1.ts';

export function autoscalingResources(): ResourceDefinition[] {
  return [horizontalpodautoscalersV2, horizontalpodautoscalersV1];
}
