/**
 * The default RBAC policy a Kubernetes API server creates at start (its bootstrappolicy), as
 * plain objects: the lead creates each one that is missing at first start. Every object carries
 * `kubernetes.io/bootstrapping: rbac-defaults` and `rbac.authorization.kubernetes.io/autoupdate`.
 * Rules follow Kubernetes 1.30-1.33; per-controller roles cover the controllers tsk runs.
 */
import { aggregateClusterRoles } from './aggregation.ts';
import { CONTROLLER_RULES } from './bootstrap-controllers.ts';
import { APPS, AUTHN, AUTHZ, BATCH, CERTS, COORDINATION, CORE, DISCOVERY, EVENTS, eventsRule, EXTENSIONS, NETWORKING, POLICY, READ, READ_WRITE, rule, STORAGE, WRITE } from './policyrules.ts';
import { RBAC_GROUP, type ClusterRole, type ClusterRoleBinding, type PolicyRule, type Role, type RoleBinding, type Subject } from './types.ts';

const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

export const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
const aggregateLabel = (to: 'admin' | 'edit' | 'view') => ({ [`rbac.authorization.k8s.io/aggregate-to-${to}`]: 'true' });

function meta(name: string, labels: Record<string, string> = {}, namespace?: string) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: { ...labels, ...BOOTSTRAP_LABELS },
    annotations: { [AUTOUPDATE_ANNOTATION]: 'true' },
  };
}

function clusterRole(name: string, rules: PolicyRule[], labels?: Record<string, string>): ClusterRole {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: meta(name, labels), rules };
}

function aggregatedRole(name: string, selectTo: 'admin' | 'edit' | 'view', labels?: Record<string, string>): ClusterRole {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: meta(name, labels),
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: aggregateLabel(selectTo) }] },
    rules: [],
  };
}

/** What a node may do (Kubernetes' NodeRules); the node authorizer narrows parts of it to the node's own objects. */
export const NODE_RULES: PolicyRule[] = [
  rule(['create'], [AUTHN], ['tokenreviews']),
  rule(['create'], [AUTHZ], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  rule(READ, [CORE], ['services']),
  rule(['create', 'get', 'list', 'watch'], [CORE], ['nodes']),
  rule(['update', 'patch'], [CORE], ['nodes/status']),
  rule(['update', 'patch'], [CORE], ['nodes']),
  rule(['create', 'update', 'patch'], [CORE, EVENTS], ['events']),
  rule(READ, [CORE], ['pods']),
  rule(['create', 'delete'], [CORE], ['pods']),
  rule(['update', 'patch'], [CORE], ['pods/status']),
  rule(['create'], [CORE], ['pods/eviction']),
  rule(READ, [CORE], ['secrets', 'configmaps']),
  rule(['get'], [CORE], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['get'], [CORE], ['endpoints']),
  rule(['create', 'get', 'list', 'watch'], [CERTS], ['certificatesigningrequests']),
  rule(['get', 'create', 'update', 'patch', 'delete'], [COORDINATION], ['leases']),
  rule(['get'], [STORAGE], ['volumeattachments']),
  rule(['get', 'update', 'patch'], [CORE], ['persistentvolumeclaims/status']),
  rule(['create'], [CORE], ['serviceaccounts/token']),
  rule(READ, [STORAGE], ['csidrivers']),
  rule(['get', 'create', 'update', 'patch', 'delete'], [STORAGE], ['csinodes']),
  rule(READ, ['node.k8s.io'], ['runtimeclasses']),
];

function userFacingRoles(): ClusterRole[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    aggregatedRole('admin', 'admin'),
    aggregatedRole('edit', 'edit', aggregateLabel('admin')),
    aggregatedRole('view', 'view', aggregateLabel('edit')),
    clusterRole('system:aggregate-to-admin', [
      rule(['create'], [AUTHZ], ['localsubjectaccessreviews']),
      rule(READ_WRITE, [RBAC_GROUP], ['roles', 'rolebindings']),
    ], aggregateLabel('admin')),
    clusterRole('system:aggregate-to-edit', [
      rule(READ, [CORE], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
      rule(['impersonate'], [CORE], ['serviceaccounts']),
      rule(WRITE, [CORE], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
      rule(['create'], [CORE], ['pods/eviction']),
      rule(WRITE, [CORE], ['replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/proxy', 'persistentvolumeclaims', 'configmaps', 'secrets', 'events']),
      rule(['create'], [CORE], ['serviceaccounts/token']),
      rule(WRITE, [APPS], ['statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale']),
      rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      rule(WRITE, [BATCH], ['jobs', 'cronjobs']),
      rule(WRITE, [EXTENSIONS], ['daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'ingresses', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale', 'networkpolicies']),
      rule(WRITE, [POLICY], ['poddisruptionbudgets']),
      rule(WRITE, [NETWORKING], ['networkpolicies', 'ingresses']),
    ], aggregateLabel('edit')),
    clusterRole('system:aggregate-to-view', [
      rule(READ, [CORE], ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
      rule(READ, [CORE], ['limitranges', 'resourcequotas', 'bindings', 'events', 'pods/status', 'resourcequotas/status', 'namespaces/status', 'replicationcontrollers/status', 'pods/log']),
      rule(READ, [CORE], ['namespaces']),
      rule(READ, [DISCOVERY], ['endpointslices']),
      rule(READ, [APPS], ['controllerrevisions', 'statefulsets', 'statefulsets/status', 'statefulsets/scale', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/status', 'deployments/scale', 'replicasets', 'replicasets/status', 'replicasets/scale']),
      rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      rule(READ, [BATCH], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
      rule(READ, [EXTENSIONS], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale', 'networkpolicies']),
      rule(READ, [POLICY], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      rule(READ, [NETWORKING], ['networkpolicies', 'ingresses', 'ingresses/status']),
    ], aggregateLabel('view')),
    // metrics-server's own role (k3s ships it with its metrics-server): kubectl top for whoever may view.
    clusterRole('system:aggregated-metrics-reader', [rule(READ, ['metrics.k8s.io'], ['pods', 'nodes'])], {
      ...aggregateLabel('admin'),
      ...aggregateLabel('edit'),
      ...aggregateLabel('view'),
    }),
  ];
}

function systemRoles(): ClusterRole[] {
  const signerApprover = (signer: string) =>
    clusterRole(`system:certificates.k8s.io:${signer.replace('kubernetes.io/', '')}-approver`, [rule(['approve'], [CERTS], ['signers'], [signer])]);
  return [
    clusterRole('system:discovery', [urls(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'])]),
    clusterRole('system:monitoring', [urls(['get'], ['/metrics', '/metrics/slis', '/livez', '/readyz', '/healthz', '/livez/*', '/readyz/*', '/healthz/*'])]),
    clusterRole('system:basic-user', [
      rule(['create'], [AUTHZ], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], [AUTHN], ['selfsubjectreviews']),
    ]),
    clusterRole('system:public-info-viewer', [urls(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/'])]),
    clusterRole('system:heapster', [rule(READ, [CORE], ['events', 'pods', 'nodes', 'namespaces']), rule(READ, [EXTENSIONS, APPS], ['deployments'])]),
    clusterRole('system:node', NODE_RULES),
    clusterRole('system:node-problem-detector', [rule(['get'], [CORE], ['nodes']), rule(['patch'], [CORE], ['nodes/status']), eventsRule()]),
    clusterRole('system:kubelet-api-admin', [
      rule(['get', 'list', 'watch', 'proxy'], [CORE], ['nodes']),
      rule(['*'], [CORE], ['nodes/proxy', 'nodes/metrics', 'nodes/spec', 'nodes/stats', 'nodes/log']),
    ]),
    clusterRole('system:node-bootstrapper', [rule(['create', 'get', 'list', 'watch'], [CERTS], ['certificatesigningrequests'])]),
    clusterRole('system:auth-delegator', [rule(['create'], [AUTHN], ['tokenreviews']), rule(['create'], [AUTHZ], ['subjectaccessreviews'])]),
    clusterRole('system:kube-aggregator', [rule(READ, [CORE], ['services', 'endpoints'])]),
    clusterRole('system:kube-controller-manager', [
      eventsRule(),
      rule(['create'], [COORDINATION], ['leases']),
      rule(['get', 'update'], [COORDINATION], ['leases'], ['kube-controller-manager']),
      rule(['create'], [CORE], ['secrets', 'serviceaccounts']),
      rule(['delete'], [CORE], ['secrets']),
      rule(['get'], [CORE], ['namespaces', 'secrets', 'serviceaccounts']),
      rule(['update'], [CORE], ['secrets', 'serviceaccounts']),
      rule(['create'], [AUTHN], ['tokenreviews']),
      rule(['create'], [AUTHZ], ['subjectaccessreviews']),
      rule(['list', 'watch'], ['*'], ['*']),
      rule(['create'], [CORE], ['serviceaccounts/token']),
    ]),
    clusterRole('system:kube-dns', [rule(['list', 'watch'], [CORE], ['endpoints', 'services'])]),
    clusterRole('system:persistent-volume-provisioner', [
      rule(['create', 'delete', 'get', 'list', 'watch'], [CORE], ['persistentvolumes']),
      rule(['get', 'list', 'watch', 'update'], [CORE], ['persistentvolumeclaims']),
      rule(READ, [STORAGE], ['storageclasses']),
      rule(['watch'], [CORE], ['events']),
      eventsRule(),
    ]),
    clusterRole('system:kube-scheduler', [
      eventsRule(),
      rule(['create'], [COORDINATION], ['leases']),
      rule(['get', 'update'], [COORDINATION], ['leases'], ['kube-scheduler']),
      rule(READ, [CORE], ['nodes']),
      rule(['get', 'list', 'watch', 'delete'], [CORE], ['pods']),
      rule(['create'], [CORE], ['pods/binding', 'bindings']),
      rule(['patch', 'update'], [CORE], ['pods/status']),
      rule(READ, [CORE], ['replicationcontrollers', 'services']),
      rule(READ, [APPS, EXTENSIONS], ['replicasets']),
      rule(READ, [APPS], ['statefulsets']),
      rule(READ, [POLICY], ['poddisruptionbudgets']),
      rule(['get', 'list', 'watch', 'update'], [CORE], ['persistentvolumeclaims', 'persistentvolumes']),
      rule(['create'], [AUTHN], ['tokenreviews']),
      rule(['create'], [AUTHZ], ['subjectaccessreviews']),
      rule(READ, [STORAGE], ['csinodes']),
      rule(READ, [CORE], ['namespaces']),
      rule(READ, [STORAGE], ['csidrivers', 'csistoragecapacities']),
    ]),
    // `tsk simulate`'s one identity: registers its nodes, renews their Leases and plays kubelet for their pods.
    clusterRole('system:tsk-simulator', [
      rule(['create', 'get', 'list', 'watch', 'update', 'patch'], [CORE], ['nodes']),
      rule(['patch', 'update'], [CORE], ['nodes/status']),
      rule(['get', 'list', 'watch', 'delete'], [CORE], ['pods']),
      rule(['patch', 'update'], [CORE], ['pods/status']),
      // The kubernetes Service's Endpoints: the API servers it fails over between.
      rule(['get'], [CORE], ['endpoints']),
      eventsRule(),
    ]),
    clusterRole('system:volume-scheduler', [
      rule(['get', 'list', 'watch', 'patch', 'update'], [CORE], ['persistentvolumes']),
      rule(READ, [STORAGE], ['storageclasses']),
      rule(['get', 'list', 'watch', 'patch', 'update'], [CORE], ['persistentvolumeclaims']),
    ]),
    // What each node's service proxy, DNS server, routes and NetworkPolicy enforcement read,
    // under the kubelet's identity (k3s gives its agents the same through system:k3s-controller).
    clusterRole('system:tsk-node-network', [
      rule(['list', 'watch'], [CORE], ['services', 'endpoints', 'pods', 'namespaces']),
      rule(READ, [CORE], ['nodes']),
      rule(['list', 'watch'], [DISCOVERY], ['endpointslices']),
      rule(['list', 'watch'], [NETWORKING], ['networkpolicies']),
    ]),
    clusterRole('system:node-proxier', [
      rule(['list', 'watch'], [CORE], ['services', 'endpoints']),
      rule(READ, [CORE], ['nodes']),
      eventsRule(),
      rule(['list', 'watch'], [DISCOVERY], ['endpointslices']),
    ]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [rule(['create'], [CERTS], ['certificatesigningrequests/nodeclient'])]),
    clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [rule(['create'], [CERTS], ['certificatesigningrequests/selfnodeclient'])]),
    signerApprover('kubernetes.io/kube-apiserver-client'),
    signerApprover('kubernetes.io/kube-apiserver-client-kubelet'),
    signerApprover('kubernetes.io/kubelet-serving'),
    signerApprover('kubernetes.io/legacy-unknown'),
    clusterRole('system:service-account-issuer-discovery', [
      urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/']),
    ]),
  ];
}

export { CONTROLLER_RULES };
export const CONTROLLER_ROLE_PREFIX = 'system:controller:';

function clusterBinding(name: string, subjects: Subject[], roleName = name): ClusterRoleBinding {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: roleName },
    subjects,
  };
}
const group = (name: string): Subject => ({ kind: 'Group', apiGroup: RBAC_GROUP, name });
const user = (name: string): Subject => ({ kind: 'User', apiGroup: RBAC_GROUP, name });
const kubeSystemSa = (name: string): Subject => ({ kind: 'ServiceAccount', name, namespace: 'kube-system' });

/**
 * Every default ClusterRole, with admin/edit/view already holding their aggregated rules (the
 * aggregation controller keeps them current afterwards).
 */
export function bootstrapClusterRoles(): ClusterRole[] {
  const roles = [
    ...userFacingRoles(),
    ...systemRoles(),
    ...Object.entries(CONTROLLER_RULES).map(([name, rules]) => clusterRole(`${CONTROLLER_ROLE_PREFIX}${name}`, rules)),
  ];
  const aggregated = new Map(aggregateClusterRoles(roles).map((r) => [r.metadata.name, r]));
  return roles.map((r) => aggregated.get(r.metadata.name) ?? r);
}

export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    clusterBinding('cluster-admin', [group('system:masters')]),
    clusterBinding('system:monitoring', [group('system:monitoring')]),
    clusterBinding('system:discovery', [group('system:authenticated')]),
    clusterBinding('system:basic-user', [group('system:authenticated')]),
    clusterBinding('system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
    clusterBinding('system:node-proxier', [user('system:kube-proxy')]),
    clusterBinding('system:kube-controller-manager', [user('system:kube-controller-manager')]),
    clusterBinding('system:kube-dns', [kubeSystemSa('kube-dns')]),
    clusterBinding('system:kube-scheduler', [user('system:kube-scheduler')]),
    clusterBinding('system:volume-scheduler', [user('system:kube-scheduler')]),
    clusterBinding('system:tsk-simulator', [user('system:tsk-simulator')]),
    // Nodes get their permissions from the node authorizer; the binding exists without subjects.
    clusterBinding('system:node', []),
    clusterBinding('system:tsk-node-network', [group('system:nodes')]),
    clusterBinding('system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
    ...Object.keys(CONTROLLER_RULES).map((name) => clusterBinding(`${CONTROLLER_ROLE_PREFIX}${name}`, [kubeSystemSa(name)])),
  ];
}

function namespacedRole(namespace: string, name: string, rules: PolicyRule[]): Role {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: meta(name, {}, namespace), rules };
}

function namespacedBinding(namespace: string, name: string, subjects: Subject[], roleName = name): RoleBinding {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'RoleBinding',
    metadata: meta(name, {}, namespace),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: roleName },
    subjects,
  };
}

/** The kube-system Roles Kubernetes creates (leader election, the authentication configmap). */
export function bootstrapRoles(): Role[] {
  return [
    namespacedRole('kube-system', 'extension-apiserver-authentication-reader', [rule(READ, [CORE], ['configmaps'], ['extension-apiserver-authentication'])]),
    namespacedRole('kube-system', 'system::leader-locking-kube-controller-manager', [
      rule(['watch'], [CORE], ['configmaps']),
      rule(['get', 'update'], [CORE], ['configmaps'], ['kube-controller-manager']),
    ]),
    namespacedRole('kube-node-lease', 'system:tsk-simulator', [rule(['create', 'get', 'update'], [COORDINATION], ['leases'])]),
    namespacedRole('kube-system', 'system::leader-locking-kube-scheduler', [
      rule(['watch'], [CORE], ['configmaps']),
      rule(['get', 'update'], [CORE], ['configmaps'], ['kube-scheduler']),
    ]),
  ];
}

export function bootstrapRoleBindings(): RoleBinding[] {
  return [
    namespacedBinding('kube-system', 'system::extension-apiserver-authentication-reader', [user('system:kube-controller-manager'), user('system:kube-scheduler')], 'extension-apiserver-authentication-reader'),
    namespacedBinding('kube-system', 'system::leader-locking-kube-controller-manager', [user('system:kube-controller-manager'), kubeSystemSa('kube-controller-manager')]),
    namespacedBinding('kube-system', 'system::leader-locking-kube-scheduler', [user('system:kube-scheduler'), kubeSystemSa('kube-scheduler')]),
    namespacedBinding('kube-node-lease', 'system:tsk-simulator', [user('system:tsk-simulator')]),
  ];
}
