/**
 * coordination.k8s.io/v1, discovery.k8s.io/v1, events.k8s.io/v1 and storage.k8s.io/v1: the
 * kinds tsk's own components and kubectl read and write besides the workload groups.
 * Field numbers, JSON names and Go field shapes follow Kubernetes' types (see ../messages.ts).
 */
import type { ApiPackage } from '../registry.ts';

export const coordination: ApiPackage = {
  name: 'coordination',
  apiVersions: ['coordination.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'Lease+',
  messages: `
Lease: 1 metadata ObjectMeta, 2 spec LeaseSpec
LeaseSpec: 1 holderIdentity *s, 2 leaseDurationSeconds *i32, 3 acquireTime *MicroTime, 4 renewTime *MicroTime, 5 leaseTransitions *i32, 6 strategy *s, 7 preferredHolder *s
`,
};

export const discovery: ApiPackage = {
  name: 'discovery',
  apiVersions: ['discovery.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'EndpointSlice+',
  messages: `
EndpointSlice: 1 metadata ObjectMeta, 4 addressType!, 2 endpoints []Endpoint, 3 ports []EndpointPort
Endpoint: 1 addresses []s, 2 conditions EndpointConditions, 3 hostname *s, 4 targetRef *ObjectReference, 5 deprecatedTopology {}s, 6 nodeName *s, 7 zone *s, 8 hints *EndpointHints
EndpointConditions: 1 ready *b, 2 serving *b, 3 terminating *b
EndpointHints: 1 forZones []ForZone, 2 forNodes []ForNode
ForZone: 1 name!
ForNode: 1 name!
EndpointPort: 1 name *s, 2 protocol *s, 3 port *i32, 4 appProtocol *s
`,
};

export const events: ApiPackage = {
  name: 'events',
  apiVersions: ['events.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'Event+',
  messages: `
Event: 1 metadata ObjectMeta, 2 eventTime MicroTime, 3 series *EventSeries, 4 reportingController, 5 reportingInstance, 6 action, 7 reason, 8 regarding ObjectReference, 9 related *ObjectReference, 10 note, 11 type, 12 deprecatedSource EventSource, 13 deprecatedFirstTimestamp Time, 14 deprecatedLastTimestamp Time, 15 deprecatedCount i32
EventSeries: 1 count! i32, 2 lastObservedTime MicroTime
`,
};

export const storage: ApiPackage = {
  name: 'storage',
  apiVersions: ['storage.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'StorageClass+',
  messages: `
StorageClass: 1 metadata ObjectMeta, 2 provisioner!, 3 parameters {}s, 4 reclaimPolicy *s, 5 mountOptions []s, 6 allowVolumeExpansion *b, 7 volumeBindingMode *s, 8 allowedTopologies []TopologySelectorTerm
`,
};
