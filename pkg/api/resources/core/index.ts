/** The core ("legacy") API group, served under /api/v1. */
import type { ResourceDefinition } from '../../types.ts';
import { CREATE_ONLY } from '../common.ts';
import { configMapResource, secretResource } from './configdata.ts';
import { coreDefinition } from './definition.ts';
import { endpointsResource, eventResource, serviceAccountResource } from './event.ts';
import { namespaceResource } from './namespace.ts';
import { nodeResource } from './node.ts';
import { podResource } from './pod.ts';
import { limitRangeResource, resourceQuotaResource } from './policy.ts';
import { podTemplateResource, replicationControllerResource } from './replication.ts';
import { serviceResource } from './service.ts';
import type { ServiceAllocatorOptions } from './service-alloc.ts';
import { persistentVolumeClaimResource, persistentVolumeResource } from './volume.ts';

export type CoreOptions = Pick<ServiceAllocatorOptions, 'serviceCidr' | 'nodePortRange'> & Partial<ServiceAllocatorOptions>;

export { kubernetesService } from './service.ts';
export { kubernetesServiceIP, ServiceAllocator } from './service-alloc.ts';
export { markNamespaceTerminating, NAMESPACE_NAME_LABEL } from './namespace.ts';
export { podGracePeriodSeconds, podQOSClass } from './pod.ts';

/** POST /api/v1/namespaces/{ns}/bindings: the old way to bind a pod, answered by a handler. */
function bindingResource(): ResourceDefinition {
  return coreDefinition({ kind: 'Binding', plural: 'bindings', namespaced: true, verbs: CREATE_ONLY, strategy: {}, virtual: true });
}

export function coreResources(options: CoreOptions): ResourceDefinition[] {
  return [
    bindingResource(),
    configMapResource(),
    endpointsResource(),
    eventResource(),
    limitRangeResource(),
    namespaceResource(),
    nodeResource(),
    persistentVolumeClaimResource(),
    persistentVolumeResource(),
    podResource(),
    podTemplateResource(),
    replicationControllerResource(),
    resourceQuotaResource(),
    secretResource(),
    serviceAccountResource(),
    serviceResource(options),
  ];
}
