/** Hand-made resource definitions for the tests of this folder (the real table lives elsewhere). */
import type { ResourceDefinition, Verb } from '../types.ts';

const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resource(group: string, version: string, kind: string, plural: string, schema: string, extra: Partial<ResourceDefinition> = {}): ResourceDefinition {
  return {
    group,
    version,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced: true,
    verbs: ALL_VERBS,
    schema,
    strategy: {},
    storagePath: plural,
    ...extra,
  };
}

export const DEPLOYMENTS = resource('apps', 'v1', 'Deployment', 'deployments', 'io.k8s.api.apps.v1.Deployment', {
  shortNames: ['deploy'],
  subresources: ['status', 'scale'],
});
export const PODS = resource('', 'v1', 'Pod', 'pods', 'io.k8s.api.core.v1.Pod', {
  shortNames: ['po'],
  subresources: ['status', 'log', 'exec', 'binding', 'eviction', 'ephemeralcontainers'],
  strategy: { gracefulDeletion: true },
});
export const NAMESPACES = resource('', 'v1', 'Namespace', 'namespaces', 'io.k8s.api.core.v1.Namespace', {
  namespaced: false,
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: ['status', 'finalize'],
});
export const CONFIGMAPS = resource('', 'v1', 'ConfigMap', 'configmaps', 'io.k8s.api.core.v1.ConfigMap', { shortNames: ['cm'] });
export const SELF_SUBJECT_ACCESS_REVIEWS = resource('authorization.k8s.io', 'v1', 'SelfSubjectAccessReview',
  'selfsubjectaccessreviews', 'io.k8s.api.authorization.v1.SelfSubjectAccessReview', { namespaced: false, verbs: ['create'], virtual: true });

export function crontabs(): ResourceDefinition {
  return resource('stable.example.com', 'v1', 'CronTab', 'crontabs', 'com.example.stable.v1.CronTab', { subresources: ['status'] });
}

export const SAMPLE_TABLE: ResourceDefinition[] = [DEPLOYMENTS, PODS, NAMESPACES, CONFIGMAPS, SELF_SUBJECT_ACCESS_REVIEWS];
