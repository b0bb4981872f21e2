/**
 * Facts about Kubernetes' published schemas that @kubernetes/client-node's generated models
 * lose, kept by hand from the `+patchStrategy`, `+patchMergeKey`, `+listType`, `+listMapKey`,
 * `+mapType` and `+structType` markers of k8s.io/api (v1.34) and the definitions of
 * apimachinery's special types. scripts/gen-openapi.ts reads this table; strategic merge patch
 * and server-side apply depend on it, so a missing entry is a behaviour bug, not cosmetics.
 *
 * Keys are definition names without the package prefix: 'core.v1.PodSpec' stands for
 * io.k8s.api.core.v1.PodSpec, 'meta.v1.X' for io.k8s.apimachinery.pkg.apis.meta.v1.X and
 * 'apiextensions.v1.X' for io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.X.
 *
 * Field rules are space-separated words:
 *   merge(key)              x-kubernetes-patch-strategy merge, x-kubernetes-patch-merge-key key
 *   merge,retainKeys(key)   the same with strategy 'merge,retainKeys'
 *   merge | retainKeys | replace   a patch strategy without merge key
 *   atomic | set | map(k1,k2)      x-kubernetes-list-type (and list-map-keys)
 *   mapType=atomic | mapType=granular   x-kubernetes-map-type on a map-valued field
 *   quantity                the field (or, for maps, each value) is a resource.Quantity
 *   ref=<Name>              the field (client-node types it `any`) refers to this definition
 */

const containerFields: Record<string, string> = {
  args: 'atomic',
  command: 'atomic',
  env: 'merge(name) map(name)',
  envFrom: 'atomic',
  ports: 'merge(containerPort) map(containerPort,protocol)',
  resizePolicy: 'atomic',
  restartPolicyRules: 'atomic',
  volumeDevices: 'merge(devicePath) map(devicePath)',
  volumeMounts: 'merge(mountPath) map(mountPath)',
};

const conditionsByType = 'merge(type) map(type)';
const resourceList = 'quantity';

export const FIELD_FACTS: Record<string, Record<string, string>> = {
  // meta/v1
  'meta.v1.ObjectMeta': {
    finalizers: 'merge set',
    ownerReferences: 'merge(uid) map(uid)',
    managedFields: 'atomic',
  },
  'meta.v1.LabelSelector': { matchExpressions: 'atomic' },
  'meta.v1.LabelSelectorRequirement': { values: 'atomic' },
  'meta.v1.StatusDetails': { causes: 'atomic' },
  'meta.v1.DeleteOptions': { dryRun: 'atomic' },
  'meta.v1.ManagedFieldsEntry': { fieldsV1: 'ref=meta.v1.FieldsV1' },
  'meta.v1.WatchEvent': { object: 'ref=runtime.RawExtension' },
  'meta.v1.APIGroup': { versions: 'atomic', serverAddressByClientCIDRs: 'atomic' },
  'meta.v1.APIGroupList': { groups: 'atomic' },
  'meta.v1.APIResource': { verbs: 'atomic', shortNames: 'atomic', categories: 'atomic' },
  'meta.v1.APIResourceList': { resources: 'atomic' },
  'meta.v1.APIVersions': { versions: 'atomic', serverAddressByClientCIDRs: 'atomic' },

  // core/v1: pods
  'core.v1.PodSpec': {
    volumes: 'merge,retainKeys(name) map(name)',
    initContainers: 'merge(name) map(name)',
    containers: 'merge(name) map(name)',
    ephemeralContainers: 'merge(name) map(name)',
    imagePullSecrets: 'merge(name) map(name)',
    nodeSelector: 'mapType=atomic',
    tolerations: 'atomic',
    hostAliases: 'merge(ip) map(ip)',
    readinessGates: 'atomic',
    topologySpreadConstraints: 'merge(topologyKey) map(topologyKey,whenUnsatisfiable)',
    overhead: resourceList,
    schedulingGates: 'merge(name) map(name)',
    resourceClaims: 'merge,retainKeys(name) map(name)',
  },
  'core.v1.Container': containerFields,
  'core.v1.EphemeralContainer': containerFields,
  'core.v1.ContainerRestartRuleOnExitCodes': { values: 'set' },
  'core.v1.ResourceRequirements': { limits: resourceList, requests: resourceList, claims: 'map(name)' },
  'core.v1.VolumeResourceRequirements': { limits: resourceList, requests: resourceList },
  'core.v1.ResourceFieldSelector': { divisor: 'quantity' },
  'core.v1.EmptyDirVolumeSource': { sizeLimit: 'quantity' },
  'core.v1.PodStatus': {
    conditions: conditionsByType,
    podIPs: 'merge(ip) map(ip)',
    hostIPs: 'merge(ip) atomic',
    initContainerStatuses: 'atomic',
    containerStatuses: 'atomic',
    ephemeralContainerStatuses: 'atomic',
    resourceClaimStatuses: 'merge,retainKeys(name) map(name)',
  },
  'core.v1.ContainerStatus': {
    allocatedResources: resourceList,
    volumeMounts: 'merge(mountPath) map(mountPath)',
    allocatedResourcesStatus: 'merge(name) map(name)',
  },
  'core.v1.ResourceStatus': { resources: 'map(resourceID)' },
  'core.v1.LinuxContainerUser': { supplementalGroups: 'atomic' },
  'core.v1.PodSecurityContext': { supplementalGroups: 'atomic', sysctls: 'atomic' },
  'core.v1.Capabilities': { add: 'atomic', drop: 'atomic' },
  'core.v1.PodDNSConfig': { nameservers: 'atomic', searches: 'atomic', options: 'atomic' },
  'core.v1.HostAlias': { hostnames: 'atomic' },
  'core.v1.ExecAction': { command: 'atomic' },
  'core.v1.HTTPGetAction': { httpHeaders: 'atomic' },
  'core.v1.NodeAffinity': { preferredDuringSchedulingIgnoredDuringExecution: 'atomic' },
  'core.v1.NodeSelector': { nodeSelectorTerms: 'atomic' },
  'core.v1.NodeSelectorTerm': { matchExpressions: 'atomic', matchFields: 'atomic' },
  'core.v1.NodeSelectorRequirement': { values: 'atomic' },
  'core.v1.PodAffinity': {
    requiredDuringSchedulingIgnoredDuringExecution: 'atomic',
    preferredDuringSchedulingIgnoredDuringExecution: 'atomic',
  },
  'core.v1.PodAntiAffinity': {
    requiredDuringSchedulingIgnoredDuringExecution: 'atomic',
    preferredDuringSchedulingIgnoredDuringExecution: 'atomic',
  },
  'core.v1.PodAffinityTerm': { namespaces: 'atomic', matchLabelKeys: 'atomic', mismatchLabelKeys: 'atomic' },
  'core.v1.TopologySpreadConstraint': { matchLabelKeys: 'atomic' },
  'core.v1.TopologySelectorTerm': { matchLabelExpressions: 'atomic' },
  'core.v1.TopologySelectorLabelRequirement': { values: 'atomic' },

  // core/v1: volumes
  'core.v1.ConfigMapVolumeSource': { items: 'atomic' },
  'core.v1.SecretVolumeSource': { items: 'atomic' },
  'core.v1.ConfigMapProjection': { items: 'atomic' },
  'core.v1.SecretProjection': { items: 'atomic' },
  'core.v1.DownwardAPIVolumeSource': { items: 'atomic' },
  'core.v1.DownwardAPIProjection': { items: 'atomic' },
  'core.v1.ProjectedVolumeSource': { sources: 'atomic' },
  'core.v1.CephFSVolumeSource': { monitors: 'atomic' },
  'core.v1.CephFSPersistentVolumeSource': { monitors: 'atomic' },
  'core.v1.RBDVolumeSource': { monitors: 'atomic' },
  'core.v1.RBDPersistentVolumeSource': { monitors: 'atomic' },
  'core.v1.ISCSIVolumeSource': { portals: 'atomic' },
  'core.v1.ISCSIPersistentVolumeSource': { portals: 'atomic' },
  'core.v1.FCVolumeSource': { targetWWNs: 'atomic', wwids: 'atomic' },
  'core.v1.PersistentVolumeSpec': { accessModes: 'atomic', mountOptions: 'atomic', capacity: resourceList, claimRef: 'mapType=granular' },
  'core.v1.PersistentVolumeClaimSpec': { accessModes: 'atomic' },
  'core.v1.PersistentVolumeClaimStatus': {
    accessModes: 'atomic',
    capacity: resourceList,
    conditions: conditionsByType,
    allocatedResources: resourceList,
    allocatedResourceStatuses: 'mapType=granular',
  },

  // core/v1: services, endpoints, nodes, namespaces, quotas
  'core.v1.ServiceSpec': {
    ports: 'merge(port) map(port,protocol)',
    selector: 'mapType=atomic',
    clusterIPs: 'atomic',
    externalIPs: 'atomic',
    loadBalancerSourceRanges: 'atomic',
    ipFamilies: 'atomic',
  },
  'core.v1.ServiceStatus': { conditions: conditionsByType },
  'core.v1.LoadBalancerStatus': { ingress: 'atomic' },
  'core.v1.LoadBalancerIngress': { ports: 'atomic' },
  'core.v1.Endpoints': { subsets: 'atomic' },
  'core.v1.EndpointSubset': { addresses: 'atomic', notReadyAddresses: 'atomic', ports: 'atomic' },
  'core.v1.NodeSpec': { podCIDRs: 'merge set', taints: 'atomic' },
  'core.v1.NodeStatus': {
    capacity: resourceList,
    allocatable: resourceList,
    conditions: conditionsByType,
    addresses: 'merge(type) map(type)',
    images: 'atomic',
    volumesInUse: 'atomic',
    volumesAttached: 'atomic',
    runtimeHandlers: 'atomic',
  },
  'core.v1.ContainerImage': { names: 'atomic' },
  'core.v1.NamespaceSpec': { finalizers: 'atomic' },
  'core.v1.NamespaceStatus': { conditions: conditionsByType },
  'core.v1.ServiceAccount': { secrets: 'merge(name) map(name)', imagePullSecrets: 'atomic' },
  'core.v1.ResourceQuotaSpec': { hard: resourceList, scopes: 'atomic' },
  'core.v1.ResourceQuotaStatus': { hard: resourceList, used: resourceList },
  'core.v1.ScopeSelector': { matchExpressions: 'atomic' },
  'core.v1.ScopedResourceSelectorRequirement': { values: 'atomic' },
  'core.v1.LimitRangeSpec': { limits: 'atomic' },
  'core.v1.LimitRangeItem': {
    max: resourceList,
    min: resourceList,
    default: resourceList,
    defaultRequest: resourceList,
    maxLimitRequestRatio: resourceList,
  },
  'core.v1.ReplicationControllerSpec': { selector: 'mapType=atomic' },
  'core.v1.ReplicationControllerStatus': { conditions: conditionsByType },
  'core.v1.ComponentStatus': { conditions: conditionsByType },

  // apps/v1
  'apps.v1.DeploymentSpec': { strategy: 'retainKeys' },
  'apps.v1.DeploymentStatus': { conditions: conditionsByType },
  'apps.v1.ReplicaSetStatus': { conditions: conditionsByType },
  'apps.v1.DaemonSetStatus': { conditions: conditionsByType },
  'apps.v1.StatefulSetSpec': { volumeClaimTemplates: 'atomic' },
  'apps.v1.StatefulSetStatus': { conditions: conditionsByType },
  'apps.v1.ControllerRevision': { data: 'ref=runtime.RawExtension' },

  // batch/v1
  'batch.v1.JobStatus': { conditions: 'merge(type) atomic' },
  'batch.v1.CronJobStatus': { active: 'atomic' },
  'batch.v1.PodFailurePolicy': { rules: 'atomic' },
  'batch.v1.PodFailurePolicyRule': { onPodConditions: 'atomic' },
  'batch.v1.PodFailurePolicyOnExitCodesRequirement': { values: 'set' },
  'batch.v1.SuccessPolicy': { rules: 'atomic' },
  'batch.v1.UncountedTerminatedPods': { succeeded: 'set', failed: 'set' },

  // autoscaling/v2
  'autoscaling.v2.HorizontalPodAutoscalerSpec': { metrics: 'atomic' },
  'autoscaling.v2.HorizontalPodAutoscalerStatus': { currentMetrics: 'atomic', conditions: conditionsByType },
  'autoscaling.v2.HPAScalingRules': { policies: 'atomic' },
  'autoscaling.v2.MetricTarget': { value: 'quantity', averageValue: 'quantity' },
  'autoscaling.v2.MetricValueStatus': { value: 'quantity', averageValue: 'quantity' },

  // policy/v1
  'policy.v1.PodDisruptionBudgetSpec': { selector: 'replace' },
  'policy.v1.PodDisruptionBudgetStatus': { conditions: conditionsByType },

  // networking.k8s.io/v1
  'networking.v1.NetworkPolicySpec': { ingress: 'atomic', egress: 'atomic', policyTypes: 'atomic' },
  'networking.v1.NetworkPolicyIngressRule': { ports: 'atomic', from: 'atomic' },
  'networking.v1.NetworkPolicyEgressRule': { ports: 'atomic', to: 'atomic' },
  'networking.v1.IPBlock': { except: 'atomic' },
  'networking.v1.IngressSpec': { tls: 'atomic', rules: 'atomic' },
  'networking.v1.IngressTLS': { hosts: 'atomic' },
  'networking.v1.HTTPIngressRuleValue': { paths: 'atomic' },
  'networking.v1.IngressLoadBalancerStatus': { ingress: 'atomic' },
  'networking.v1.IngressLoadBalancerIngress': { ports: 'atomic' },
  'networking.v1.ServiceCIDRSpec': { cidrs: 'atomic' },
  'networking.v1.ServiceCIDRStatus': { conditions: conditionsByType },

  // rbac.authorization.k8s.io/v1
  'rbac.v1.Role': { rules: 'atomic' },
  'rbac.v1.ClusterRole': { rules: 'atomic' },
  'rbac.v1.AggregationRule': { clusterRoleSelectors: 'atomic' },
  'rbac.v1.PolicyRule': {
    verbs: 'atomic',
    apiGroups: 'atomic',
    resources: 'atomic',
    resourceNames: 'atomic',
    nonResourceURLs: 'atomic',
  },
  'rbac.v1.RoleBinding': { subjects: 'atomic' },
  'rbac.v1.ClusterRoleBinding': { subjects: 'atomic' },

  // storage.k8s.io/v1
  'storage.v1.StorageClass': { mountOptions: 'atomic', allowedTopologies: 'atomic' },
  'storage.v1.CSIDriverSpec': { volumeLifecycleModes: 'set', tokenRequests: 'atomic' },
  'storage.v1.CSINodeSpec': { drivers: 'merge(name) map(name)' },
  'storage.v1.CSINodeDriver': { topologyKeys: 'atomic' },
  'storage.v1.CSIStorageCapacity': { capacity: 'quantity', maximumVolumeSize: 'quantity' },

  // discovery.k8s.io/v1
  'discovery.v1.EndpointSlice': { endpoints: 'atomic', ports: 'atomic' },
  'discovery.v1.Endpoint': { addresses: 'set' },
  'discovery.v1.EndpointHints': { forZones: 'atomic', forNodes: 'atomic' },

  // apiextensions.k8s.io/v1
  'apiextensions.v1.CustomResourceDefinitionSpec': { versions: 'atomic' },
  'apiextensions.v1.CustomResourceDefinitionNames': { shortNames: 'atomic', categories: 'atomic' },
  'apiextensions.v1.CustomResourceDefinitionStatus': { conditions: 'map(type)', storedVersions: 'atomic' },
  'apiextensions.v1.CustomResourceDefinitionVersion': { additionalPrinterColumns: 'atomic', selectableFields: 'atomic' },
  'apiextensions.v1.WebhookConversion': { conversionReviewVersions: 'atomic' },
  'apiextensions.v1.CustomResourceSubresources': { status: 'ref=apiextensions.v1.CustomResourceSubresourceStatus' },
  'apiextensions.v1.JSONSchemaProps': {
    additionalItems: 'ref=apiextensions.v1.JSONSchemaPropsOrBool',
    additionalProperties: 'ref=apiextensions.v1.JSONSchemaPropsOrBool',
    default: 'ref=apiextensions.v1.JSON',
    dependencies: 'ref=apiextensions.v1.JSONSchemaPropsOrStringArray',
    example: 'ref=apiextensions.v1.JSON',
    items: 'ref=apiextensions.v1.JSONSchemaPropsOrArray',
    enum: 'atomic ref=apiextensions.v1.JSON',
    required: 'atomic',
    allOf: 'atomic',
    anyOf: 'atomic',
    oneOf: 'atomic',
    'x-kubernetes-list-map-keys': 'atomic',
    'x-kubernetes-validations': 'merge(rule) map(rule)',
  },

  // authentication.k8s.io/v1, authorization.k8s.io/v1
  'authentication.v1.TokenReviewSpec': { audiences: 'atomic' },
  'authentication.v1.TokenReviewStatus': { audiences: 'atomic' },
  'authentication.v1.TokenRequestSpec': { audiences: 'atomic' },
  'authentication.v1.UserInfo': { groups: 'atomic' },
  'authorization.v1.SubjectAccessReviewSpec': { groups: 'atomic' },
  'authorization.v1.SubjectRulesReviewStatus': { resourceRules: 'atomic', nonResourceRules: 'atomic' },
  'authorization.v1.ResourceRule': { verbs: 'atomic', apiGroups: 'atomic', resources: 'atomic', resourceNames: 'atomic' },
  'authorization.v1.NonResourceRule': { verbs: 'atomic', nonResourceURLs: 'atomic' },
  'authorization.v1.FieldSelectorAttributes': { requirements: 'atomic' },
  'authorization.v1.LabelSelectorAttributes': { requirements: 'atomic' },

  // node.k8s.io/v1
  'node.v1.Scheduling': { nodeSelector: 'mapType=atomic', tolerations: 'atomic' },
  'node.v1.Overhead': { podFixed: resourceList },

  // certificates.k8s.io/v1
  'certificates.v1.CertificateSigningRequestSpec': { usages: 'atomic', groups: 'atomic' },
  'certificates.v1.CertificateSigningRequestStatus': { conditions: 'map(type)' },

  // admissionregistration.k8s.io/v1
  'admissionregistration.v1.ValidatingWebhookConfiguration': { webhooks: 'merge(name) map(name)' },
  'admissionregistration.v1.MutatingWebhookConfiguration': { webhooks: 'merge(name) map(name)' },
  'admissionregistration.v1.ValidatingWebhook': {
    rules: 'atomic',
    admissionReviewVersions: 'atomic',
    matchConditions: 'merge(name) map(name)',
  },
  'admissionregistration.v1.MutatingWebhook': {
    rules: 'atomic',
    admissionReviewVersions: 'atomic',
    matchConditions: 'merge(name) map(name)',
  },
  'admissionregistration.v1.RuleWithOperations': {
    operations: 'atomic',
    apiGroups: 'atomic',
    apiVersions: 'atomic',
    resources: 'atomic',
  },
  'admissionregistration.v1.NamedRuleWithOperations': {
    resourceNames: 'atomic',
    operations: 'atomic',
    apiGroups: 'atomic',
    apiVersions: 'atomic',
    resources: 'atomic',
  },
  'admissionregistration.v1.MatchResources': { resourceRules: 'atomic', excludeResourceRules: 'atomic' },
  'admissionregistration.v1.ValidatingAdmissionPolicySpec': {
    validations: 'atomic',
    auditAnnotations: 'atomic',
    matchConditions: 'merge(name) map(name)',
    variables: 'atomic',
  },
  'admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec': { validationActions: 'set' },
  'admissionregistration.v1.ValidatingAdmissionPolicyStatus': { conditions: 'map(type)' },
  'admissionregistration.v1.TypeChecking': { expressionWarnings: 'atomic' },

  // flowcontrol.apiserver.k8s.io/v1
  'flowcontrol.v1.FlowSchemaSpec': { rules: 'atomic' },
  'flowcontrol.v1.FlowSchemaStatus': { conditions: 'map(type)' },
  'flowcontrol.v1.PriorityLevelConfigurationStatus': { conditions: 'map(type)' },
  'flowcontrol.v1.PolicyRulesWithSubjects': { subjects: 'atomic', resourceRules: 'atomic', nonResourceRules: 'atomic' },
  'flowcontrol.v1.ResourcePolicyRule': { verbs: 'set', apiGroups: 'set', resources: 'set', namespaces: 'set' },
  'flowcontrol.v1.NonResourcePolicyRule': { verbs: 'set', nonResourceURLs: 'set' },
};

/** `+structType=atomic`: the whole struct is replaced, never merged field by field. */
export const ATOMIC_STRUCTS: string[] = [
  'meta.v1.LabelSelector',
  'meta.v1.OwnerReference',
  'core.v1.LocalObjectReference',
  'core.v1.ObjectReference',
  'core.v1.TypedLocalObjectReference',
  'core.v1.SecretReference',
  'core.v1.ConfigMapKeySelector',
  'core.v1.SecretKeySelector',
  'core.v1.FileKeySelector',
  'core.v1.ObjectFieldSelector',
  'core.v1.ResourceFieldSelector',
  'core.v1.NodeSelector',
  'core.v1.NodeSelectorTerm',
  'core.v1.ScopeSelector',
  'core.v1.TopologySelectorTerm',
  'core.v1.EndpointAddress',
  'core.v1.EndpointPort',
  'discovery.v1.EndpointPort',
  'admissionregistration.v1.MatchResources',
  'admissionregistration.v1.NamedRuleWithOperations',
  'admissionregistration.v1.ParamRef',
];

/**
 * Types that client-node nests under another group's name because no API of their own group
 * returns them, or returns them from several groups.
 */
export const GROUP_OVERRIDES: Record<string, string> = {
  V1Scale: 'autoscaling',
  V1Eviction: 'policy',
  V1TopologySelectorTerm: '',
  V1TopologySelectorLabelRequirement: '',
};
