/**
 * RBAC objects as rbac.authorization.k8s.io/v1 stores them, and the request attributes every
 * authorizer decides on (Kubernetes' authorizer.Attributes).
 */
import type { ObjectMeta, UserInfo } from '../../api/types.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface AggregationRule {
  clusterRoleSelectors?: LabelSelector[];
}

export interface Role {
  apiVersion?: string;
  kind?: 'Role';
  metadata: ObjectMeta;
  rules?: PolicyRule[];
}

export interface ClusterRole {
  apiVersion?: string;
  kind?: 'ClusterRole';
  metadata: ObjectMeta;
  rules?: PolicyRule[];
  aggregationRule?: AggregationRule;
}

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount' | string;
  name: string;
  namespace?: string;
  apiGroup?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: 'Role' | 'ClusterRole' | string;
  name: string;
}

export interface RoleBinding {
  apiVersion?: string;
  kind?: 'RoleBinding';
  metadata: ObjectMeta;
  subjects?: Subject[];
  roleRef: RoleRef;
}

export interface ClusterRoleBinding {
  apiVersion?: string;
  kind?: 'ClusterRoleBinding';
  metadata: ObjectMeta;
  subjects?: Subject[];
  roleRef: RoleRef;
}

/**
 * What a request asks to do. Resource requests fill apiGroup/resource/subresource/namespace/
 * name; non-resource requests (`/healthz`, `/metrics`) fill path. Empty strings mean "none".
 */
export interface Attributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  path?: string;
}

export type Decision = 'allow' | 'deny' | 'no-opinion';

export interface AuthorizationResult {
  decision: Decision;
  /** Why, in Kubernetes' words; '' when there is nothing to say. */
  reason: string;
}

export interface Authorizer {
  authorize(attrs: Attributes): AuthorizationResult;
}
