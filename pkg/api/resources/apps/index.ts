/** apps/v1: the workload controllers' kinds. */
import type { ResourceDefinition } from '../../types.ts';
import { controllerrevisions } from './controllerrevision.ts';
import { daemonsets } from './daemonset.ts';
import { deployments } from './deployment.ts';
import { replicasets } from './replicaset.ts';
import { statefulsets } from './statefulset.ts';

export function appsResources(): ResourceDefinition[] {
  return [controllerrevisions, daemonsets, deployments, replicasets, statefulsets];
}
