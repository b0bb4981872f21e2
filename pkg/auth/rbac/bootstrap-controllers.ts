/**
 * The per-controller ClusterRoles of Kubernetes' controller policy (`system:controller:<name>`),
 * for the controllers tsk runs; each is bound to the service account <name> in kube-system.
 */
import { APPS, BATCH, CORE, DISCOVERY, eventsRule, EXTENSIONS, POLICY, READ, rule, STORAGE } from './policyrules.ts';
import { RBAC_GROUP, type PolicyRule } from './types.ts';

export const CONTROLLER_RULES: Record<string, PolicyRule[]> = {
  // tsk's own: the kube-dns Service and each node's DNS endpoint (pkg/controllers/clusterdns).
  'cluster-dns-controller': [
    rule(['list', 'watch'], [CORE], ['nodes']),
    rule(['get', 'list', 'watch', 'create', 'patch'], [CORE], ['services', 'endpoints']),
    rule(['get', 'list', 'watch', 'create', 'patch', 'delete'], [DISCOVERY], ['endpointslices']),
  ],
  'clusterrole-aggregation-controller': [rule(['escalate', 'get', 'list', 'watch', 'update', 'patch'], [RBAC_GROUP], ['clusterroles'])],
  'cronjob-controller': [
    rule(['get', 'list', 'watch', 'update'], [BATCH], ['cronjobs']),
    rule(['get', 'list', 'watch', 'create', 'update', 'delete', 'patch'], [BATCH], ['jobs']),
    rule(['update'], [BATCH], ['cronjobs/status']),
    rule(['update'], [BATCH], ['cronjobs/finalizers']),
    rule(['list', 'delete'], [CORE], ['pods']),
    eventsRule(),
  ],
  'daemon-set-controller': [
    rule(READ, [EXTENSIONS, APPS], ['daemonsets']),
    rule(['update'], [EXTENSIONS, APPS], ['daemonsets/status']),
    rule(['update'], [EXTENSIONS, APPS], ['daemonsets/finalizers']),
    rule(['list', 'watch'], [CORE], ['nodes']),
    rule(['list', 'watch', 'create', 'delete', 'patch'], [CORE], ['pods']),
    rule(['create'], [CORE], ['pods/binding']),
    rule(['get', 'list', 'watch', 'create', 'delete', 'update', 'patch'], [APPS], ['controllerrevisions']),
    eventsRule(),
  ],
  'deployment-controller': [
    rule(['get', 'list', 'watch', 'update'], [EXTENSIONS, APPS], ['deployments']),
    rule(['update'], [EXTENSIONS, APPS], ['deployments/status']),
    rule(['update'], [EXTENSIONS, APPS], ['deployments/finalizers']),
    rule(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], [APPS, EXTENSIONS], ['replicasets']),
    rule(['get', 'list', 'watch', 'update'], [CORE], ['pods']),
    eventsRule(),
  ],
  'disruption-controller': [
    rule(READ, [EXTENSIONS, APPS], ['deployments']),
    rule(READ, [APPS, EXTENSIONS], ['replicasets']),
    rule(READ, [CORE], ['replicationcontrollers']),
    rule(READ, [POLICY], ['poddisruptionbudgets']),
    rule(READ, [APPS], ['statefulsets']),
    rule(['update'], [POLICY], ['poddisruptionbudgets/status']),
    rule(['patch', 'update'], [CORE], ['pods/status']),
    rule(['get'], ['*'], ['*/scale']),
    eventsRule(),
  ],
  'endpoint-controller': [
    rule(READ, [CORE], ['services', 'pods']),
    rule(['get', 'list', 'create', 'update', 'delete'], [CORE], ['endpoints']),
    rule(['create'], [CORE], ['endpoints/restricted']),
    eventsRule(),
  ],
  'endpointslice-controller': [
    rule(READ, [CORE], ['services', 'pods', 'nodes']),
    rule(['update'], [CORE], ['services/finalizers']),
    rule(['get', 'list', 'create', 'update', 'delete'], [DISCOVERY], ['endpointslices']),
    eventsRule(),
  ],
  'endpointslicemirroring-controller': [
    rule(READ, [CORE], ['services', 'endpoints']),
    rule(['update'], [CORE], ['services/finalizers']),
    rule(['update'], [CORE], ['endpoints/finalizers']),
    rule(['get', 'list', 'create', 'update', 'delete'], [DISCOVERY], ['endpointslices']),
    eventsRule(),
  ],
  'generic-garbage-collector': [rule(['get', 'list', 'watch', 'patch', 'update', 'delete'], ['*'], ['*']), eventsRule()],
  'horizontal-pod-autoscaler': [
    rule(READ, ['autoscaling'], ['horizontalpodautoscalers']),
    rule(['update'], ['autoscaling'], ['horizontalpodautoscalers/status']),
    rule(['get', 'update'], ['*'], ['*/scale']),
    rule(['list'], [CORE], ['pods']),
    rule(['list'], ['metrics.k8s.io'], ['pods']),
    rule(['get', 'list'], ['custom.metrics.k8s.io'], ['*']),
    rule(['get', 'list'], ['external.metrics.k8s.io'], ['*']),
    eventsRule(),
  ],
  'job-controller': [
    rule(['get', 'list', 'watch', 'update', 'patch'], [BATCH], ['jobs']),
    rule(['update', 'patch'], [BATCH], ['jobs/status']),
    rule(['update'], [BATCH], ['jobs/finalizers']),
    rule(['list', 'watch', 'create', 'delete', 'patch'], [CORE], ['pods']),
    eventsRule(),
  ],
  'namespace-controller': [
    rule(['get', 'list', 'watch', 'delete'], [CORE], ['namespaces']),
    rule(['update'], [CORE], ['namespaces/finalize', 'namespaces/status']),
    rule(['get', 'list', 'delete', 'deletecollection'], ['*'], ['*']),
  ],
  'node-controller': [
    rule(['get', 'list', 'update', 'delete', 'patch'], [CORE], ['nodes']),
    rule(['patch', 'update'], [CORE], ['nodes/status']),
    rule(['patch', 'update'], [CORE], ['pods/status']),
    rule(['list', 'delete'], [CORE], ['pods']),
    eventsRule(),
  ],
  'pod-garbage-collector': [
    rule(['list', 'watch', 'delete'], [CORE], ['pods']),
    rule(['get', 'list'], [CORE], ['nodes']),
    rule(['patch'], [CORE], ['pods/status']),
  ],
  'replicaset-controller': [
    rule(['get', 'list', 'watch', 'update'], [APPS, EXTENSIONS], ['replicasets']),
    rule(['update'], [APPS, EXTENSIONS], ['replicasets/status']),
    rule(['update'], [APPS, EXTENSIONS], ['replicasets/finalizers']),
    rule(['list', 'watch', 'patch', 'create', 'delete'], [CORE], ['pods']),
    eventsRule(),
  ],
  'resourcequota-controller': [rule(['list', 'watch'], ['*'], ['*']), rule(['update'], [CORE], ['resourcequotas/status']), eventsRule()],
  'root-ca-cert-publisher': [rule(['create', 'update'], [CORE], ['configmaps']), eventsRule()],
  // tsk's ServiceLB (pkg/controllers/servicelb): LoadBalancer status from node addresses.
  'service-lb-controller': [
    rule(['list', 'watch'], [CORE], ['nodes', 'services']),
    rule(['patch', 'update'], [CORE], ['services/status']),
    eventsRule(),
  ],
  'service-account-controller': [rule(['create'], [CORE], ['serviceaccounts']), eventsRule()],
  'service-controller': [
    rule(READ, [CORE], ['services']),
    rule(['patch', 'update'], [CORE], ['services/status']),
    rule(['list', 'watch'], [CORE], ['nodes']),
    eventsRule(),
  ],
  'statefulset-controller': [
    rule(['list', 'watch'], [CORE], ['pods']),
    rule(READ, [APPS], ['statefulsets']),
    rule(['update'], [APPS], ['statefulsets/status']),
    rule(['update'], [APPS], ['statefulsets/finalizers']),
    rule(['get', 'create', 'delete', 'update', 'patch'], [CORE], ['pods']),
    rule(['get', 'create', 'delete', 'update', 'patch', 'list', 'watch'], [APPS], ['controllerrevisions']),
    rule(['get', 'create'], [CORE], ['persistentvolumeclaims']),
    // persistentVolumeClaimRetentionPolicy (StatefulSetAutoDeletePVC, GA in 1.32) re-owns claims.
    rule(['update', 'delete'], [CORE], ['persistentvolumeclaims']),
    eventsRule(),
  ],
  'persistent-volume-binder': [
    rule(['create', 'delete', 'get', 'list', 'update', 'watch'], [CORE], ['persistentvolumes']),
    rule(['update'], [CORE], ['persistentvolumes/status']),
    rule(['get', 'list', 'update', 'watch'], [CORE], ['persistentvolumeclaims']),
    rule(['update'], [CORE], ['persistentvolumeclaims/status']),
    rule(['create', 'delete', 'get', 'list', 'watch'], [CORE], ['pods']),
    rule(['get', 'list'], [CORE], ['nodes']),
    rule(READ, [STORAGE], ['storageclasses']),
    eventsRule(),
  ],
  'pvc-protection-controller': [rule(['get', 'list', 'watch', 'update'], [CORE], ['persistentvolumeclaims']), rule(['list', 'watch', 'get'], [CORE], ['pods']), eventsRule()],
  'pv-protection-controller': [rule(['get', 'list', 'watch', 'update'], [CORE], ['persistentvolumes']), eventsRule()],
  // tsk's own (pkg/controllers/localpath): rancher's local-path-provisioner's rights, less its helper pods.
  'local-path-provisioner': [
    rule(['get', 'list', 'watch', 'create', 'delete'], [CORE], ['persistentvolumes']),
    rule(['get', 'list', 'watch', 'update'], [CORE], ['persistentvolumeclaims']),
    rule(['get', 'list', 'watch'], [CORE], ['nodes']),
    rule(READ, [STORAGE], ['storageclasses']),
    eventsRule(),
  ],
  // Kubernetes 1.29+ (SeparateTaintEvictionController): evicts pods from NoExecute-tainted nodes.
  'taint-eviction-controller': [
    rule(['patch', 'update'], [CORE], ['pods/status']),
    rule(['list', 'get', 'delete'], [CORE], ['pods']),
    eventsRule(),
  ],
  'ttl-after-finished-controller': [rule(['get', 'list', 'watch', 'delete'], [BATCH], ['jobs']), eventsRule()],
  'ttl-controller': [rule(['update', 'patch', 'list', 'watch'], [CORE], ['nodes']), eventsRule()],
};

