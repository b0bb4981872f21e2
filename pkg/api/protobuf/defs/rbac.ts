/**
 * rbac.authorization.k8s.io/v1.
 * Field numbers, JSON names and Go field shapes follow Kubernetes' types (see ../messages.ts).
 */
import type { ApiPackage } from '../registry.ts';

export const rbac: ApiPackage = {
  name: 'rbac',
  apiVersions: ['rbac.authorization.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'Role+ RoleBinding+ ClusterRole+ ClusterRoleBinding+',
  messages: `
PolicyRule: 1 verbs []s, 2 apiGroups []s, 3 resources []s, 4 resourceNames []s, 5 nonResourceURLs []s
Subject: 1 kind!, 2 apiGroup, 3 name!, 4 namespace
RoleRef: 1 apiGroup!, 2 kind!, 3 name!
Role: 1 metadata ObjectMeta, 2 rules []PolicyRule
RoleBinding: 1 metadata ObjectMeta, 2 subjects []Subject, 3 roleRef RoleRef
ClusterRole: 1 metadata ObjectMeta, 2 rules []PolicyRule, 3 aggregationRule *AggregationRule
AggregationRule: 1 clusterRoleSelectors []LabelSelector
ClusterRoleBinding: 1 metadata ObjectMeta, 2 subjects []Subject, 3 roleRef RoleRef
`,
};
