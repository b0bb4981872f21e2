/**
 * networking.k8s.io/v1.
 * Field numbers, JSON names and Go field shapes follow Kubernetes' types (see ../messages.ts).
 */
import type { ApiPackage } from '../registry.ts';

export const networking: ApiPackage = {
  name: 'networking',
  apiVersions: ['networking.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'NetworkPolicy+ Ingress+ IngressClass+',
  messages: `
NetworkPolicy: 1 metadata ObjectMeta, 2 spec NetworkPolicySpec
NetworkPolicySpec: 1 podSelector LabelSelector, 2 ingress []NetworkPolicyIngressRule, 3 egress []NetworkPolicyEgressRule, 4 policyTypes []s
NetworkPolicyIngressRule: 1 ports []NetworkPolicyPort, 2 from []NetworkPolicyPeer
NetworkPolicyEgressRule: 1 ports []NetworkPolicyPort, 2 to []NetworkPolicyPeer
NetworkPolicyPort: 1 protocol *s, 2 port *IntOrString, 3 endPort *i32
IPBlock: 1 cidr!, 2 except []s
NetworkPolicyPeer: 1 podSelector *LabelSelector, 2 namespaceSelector *LabelSelector, 3 ipBlock *IPBlock
Ingress: 1 metadata ObjectMeta, 2 spec IngressSpec, 3 status IngressStatus
IngressSpec: 4 ingressClassName *s, 1 defaultBackend *IngressBackend, 2 tls []IngressTLS, 3 rules []IngressRule
IngressTLS: 1 hosts []s, 2 secretName
IngressStatus: 1 loadBalancer IngressLoadBalancerStatus
IngressLoadBalancerStatus: 1 ingress []IngressLoadBalancerIngress
IngressLoadBalancerIngress: 1 ip, 2 hostname, 4 ports []IngressPortStatus
IngressPortStatus: 1 port! i32, 2 protocol!, 3 error *s
IngressRule: 1 host, 2 ^ingressRuleValue IngressRuleValue
IngressRuleValue: 1 http *HTTPIngressRuleValue
HTTPIngressRuleValue: 1 paths []HTTPIngressPath
HTTPIngressPath: 1 path, 3 pathType *s, 2 backend IngressBackend
IngressBackend: 4 service *IngressServiceBackend, 3 resource *TypedLocalObjectReference
IngressServiceBackend: 1 name!, 2 port ServiceBackendPort
ServiceBackendPort: 1 name, 2 number i32
IngressClass: 1 metadata ObjectMeta, 2 spec IngressClassSpec
IngressClassSpec: 1 controller, 2 parameters *IngressClassParametersReference
IngressClassParametersReference: 1 apiGroup *s, 2 kind!, 3 name!, 4 scope *s, 5 namespace *s
`,
};
