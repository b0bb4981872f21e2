/**
 * The built-in group-versions whose schemas tsk carries, and how Kubernetes names their
 * OpenAPI definitions (io.k8s.api.<package>.<version>.<Kind>): the package is the group's
 * first label, except for the core group and apiextensions, which lives outside k8s.io/api.
 */

export interface BuiltinGroupVersion {
  group: string;
  version: string;
  /** Segment of definition names: 'core', 'apps', 'rbac', 'apiextensions', … */
  packageName: string;
  /** @kubernetes/client-node's API class for it (the generator reads its return types). */
  apiClass: string;
  /** client-node's prefix for model names that clash across groups ('Rbac' in RbacV1Subject), lower-cased. */
  modelPrefix: string;
}

function gv(group: string, version: string, apiClass: string): BuiltinGroupVersion {
  const packageName = group === '' ? 'core' : group.split('.')[0]!;
  return { group, version, packageName, apiClass, modelPrefix: packageName };
}

/** Core first: types shared with other groups (PodTemplateSpec, ObjectReference) belong to it. */
export const SERVED_GROUP_VERSIONS: BuiltinGroupVersion[] = [
  gv('', 'v1', 'CoreV1Api'),
  gv('apps', 'v1', 'AppsV1Api'),
  gv('batch', 'v1', 'BatchV1Api'),
  gv('autoscaling', 'v1', 'AutoscalingV1Api'),
  gv('autoscaling', 'v2', 'AutoscalingV2Api'),
  gv('policy', 'v1', 'PolicyV1Api'),
  gv('networking.k8s.io', 'v1', 'NetworkingV1Api'),
  gv('rbac.authorization.k8s.io', 'v1', 'RbacAuthorizationV1Api'),
  gv('storage.k8s.io', 'v1', 'StorageV1Api'),
  gv('scheduling.k8s.io', 'v1', 'SchedulingV1Api'),
  gv('coordination.k8s.io', 'v1', 'CoordinationV1Api'),
  gv('discovery.k8s.io', 'v1', 'DiscoveryV1Api'),
  gv('events.k8s.io', 'v1', 'EventsV1Api'),
  gv('apiextensions.k8s.io', 'v1', 'ApiextensionsV1Api'),
  gv('authentication.k8s.io', 'v1', 'AuthenticationV1Api'),
  gv('authorization.k8s.io', 'v1', 'AuthorizationV1Api'),
  gv('node.k8s.io', 'v1', 'NodeV1Api'),
  gv('certificates.k8s.io', 'v1', 'CertificatesV1Api'),
  gv('admissionregistration.k8s.io', 'v1', 'AdmissionregistrationV1Api'),
  gv('flowcontrol.apiserver.k8s.io', 'v1', 'FlowcontrolApiserverV1Api'),
];

/**
 * The full definition name of a short one: 'core.v1.Pod' → 'io.k8s.api.core.v1.Pod',
 * 'meta.v1.Time' → 'io.k8s.apimachinery.pkg.apis.meta.v1.Time', 'runtime.RawExtension' →
 * 'io.k8s.apimachinery.pkg.runtime.RawExtension'.
 */
export function definitionName(short: string): string {
  if (short.startsWith('meta.')) return `io.k8s.apimachinery.pkg.apis.${short}`;
  if (short.startsWith('apiextensions.')) return `io.k8s.apiextensions-apiserver.pkg.apis.${short}`;
  if (/^(runtime|util|api|version)\./.test(short)) return `io.k8s.apimachinery.pkg.${short}`;
  return `io.k8s.api.${short}`;
}
