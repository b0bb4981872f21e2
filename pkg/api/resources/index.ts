/**
 * Every built-in resource tsk serves, core first, then the named groups in the order
 * Kubernetes' discovery lists them (kube-apiserver's group priorities), so `kubectl
 * api-resources` reads the same.
 */
import type { ResourceDefinition } from '../types.ts';
import { admissionRegistrationResources } from './admissionregistration/webhooks.ts';
import { customresourcedefinitions } from './apiextensions/crd.ts';
import { appsResources } from './apps/index.ts';
import { autoscalingResources } from './autoscaling/index.ts';
import { batchResources } from './batch/index.ts';
import { certificatesigningrequests } from './certificates/csr.ts';
import { leases } from './coordination/lease.ts';
import { coreResources, type CoreOptions } from './core/index.ts';
import { endpointslices } from './discovery/endpointslice.ts';
import { eventsV1 } from './events/event.ts';
import { networkingResources } from './networking/index.ts';
import { runtimeclasses } from './node/runtimeclass.ts';
import { poddisruptionbudgets } from './policy/poddisruptionbudget.ts';
import { rbacResources } from './rbac/rbac.ts';
import { reviewResources } from './reviews/reviews.ts';
import { priorityclasses } from './scheduling/priorityclass.ts';
import { storageResources } from './storage/index.ts';

export interface BuiltinOptions extends Omit<CoreOptions, 'serviceCidr' | 'nodePortRange'> {
  /** --service-cidr: where Services get their ClusterIPs. */
  serviceCidr: string;
  /** The NodePort range, inclusive. */
  nodePortRange: [number, number];
}

const inGroup = (group: string) => (d: ResourceDefinition) => d.group === group;

export function builtinResources(options: BuiltinOptions): ResourceDefinition[] {
  const reviews = reviewResources();
  return [
    ...coreResources({ ...options, nodePortRange: { min: options.nodePortRange[0], max: options.nodePortRange[1] } }),
    ...appsResources(),
    eventsV1,
    ...reviews.filter(inGroup('authentication.k8s.io')),
    ...reviews.filter(inGroup('authorization.k8s.io')),
    ...autoscalingResources(),
    ...batchResources(),
    certificatesigningrequests,
    ...networkingResources(),
    poddisruptionbudgets,
    ...rbacResources(),
    ...storageResources(),
    ...admissionRegistrationResources(),
    customresourcedefinitions,
    priorityclasses,
    leases,
    runtimeclasses,
    endpointslices,
  ];
}
