/**
 * networking.k8s.io and discovery.k8s.io: Ingress, IngressClass, NetworkPolicy, ServiceCIDR,
 * IPAddress and EndpointSlice.
 */
import { ageColumn, ageOf, col, listWithMore, nameColumn, nameOf, printer, str } from './columns.ts';
import { doc } from './descriptions.ts';
import { formatLabelSelector } from './labels.ts';
import { loadBalancerAddresses } from './service.ts';

/** printers.go formatHosts: up to three hosts, "*" when no rule names one. */
function formatHosts(rules: { host?: string }[] | undefined): string {
  const list = rules ?? [];
  const max = 3;
  const hosts: string[] = [];
  let more = false;
  for (const rule of list) {
    if (hosts.length === max) more = true;
    if (!more && rule.host) hosts.push(rule.host);
  }
  if (hosts.length === 0) return '*';
  // Kubernetes counts the remaining rules, not the remaining hosts.
  return more ? `${hosts.join(',')} + ${list.length - max} more...` : hosts.join(',');
}

export const ingressPrinter = printer(
  [
    nameColumn,
    col('Class', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'Ports of TLS configurations that open'),
    ageColumn,
  ],
  (ing, now) => [
    nameOf(ing),
    typeof ing.spec?.ingressClassName === 'string' ? ing.spec.ingressClassName : '<none>',
    formatHosts(ing.spec?.rules),
    loadBalancerAddresses(ing.status?.loadBalancer?.ingress),
    (ing.spec?.tls ?? []).length > 0 ? '80, 443' : '80',
    ageOf(ing, now),
  ],
);

export const ingressClassPrinter = printer(
  [
    nameColumn,
    col('Controller', 'Controller that is responsible for handling this class'),
    col('Parameters', 'A reference to a resource with additional parameters'),
    ageColumn,
  ],
  (ic, now) => {
    const params = ic.spec?.parameters;
    let parameters = '<none>';
    if (params) {
      parameters = str(params.kind);
      if (typeof params.apiGroup === 'string') parameters += `.${params.apiGroup}`;
      parameters += `/${str(params.name)}`;
    }
    return [nameOf(ic), str(ic.spec?.controller), parameters, ageOf(ic, now)];
  },
);

export const networkPolicyPrinter = printer(
  [nameColumn, col('Pod-Selector', doc.netpolPodSelector), ageColumn],
  // podSelector is a required struct in Kubernetes, so a missing one prints as empty.
  (np, now) => [nameOf(np), formatLabelSelector(np.spec?.podSelector ?? {}), ageOf(np, now)],
);

export const serviceCIDRPrinter = printer(
  [nameColumn, col('CIDRs', doc.serviceCidrs), ageColumn],
  (cidr, now) => [nameOf(cidr), (cidr.spec?.cidrs ?? []).join(','), ageOf(cidr, now)],
);

/** Kubernetes declares no Age column for IPAddress yet sends the age cell; kubectl ignores extras. */
export const ipAddressPrinter = printer([nameColumn, col('ParentRef', doc.ipParentRef)], (ip, now) => {
  const ref = ip.spec?.parentRef;
  let parent = '<none>';
  if (ref) {
    const resource = ref.group ? `${ref.resource ?? ''}.${ref.group}` : str(ref.resource);
    parent = resource.toLowerCase() + (ref.namespace ? `/${ref.namespace}` : '') + `/${str(ref.name)}`;
  }
  return [nameOf(ip), parent, ageOf(ip, now)];
});

function slicePorts(ports: { port?: number; name?: string }[] | undefined): string {
  return listWithMore((ports ?? []).map((p) => (typeof p.port === 'number' ? String(p.port) : p.name ?? '*')));
}

function sliceEndpoints(endpoints: { addresses?: string[] }[] | undefined): string {
  return listWithMore((endpoints ?? []).flatMap((e) => e.addresses ?? []));
}

export const endpointSlicePrinter = printer(
  [
    nameColumn,
    col('AddressType', doc.sliceAddressType),
    col('Ports', doc.slicePorts),
    col('Endpoints', doc.sliceEndpoints),
    ageColumn,
  ],
  (slice, now) => [
    nameOf(slice),
    str(slice.addressType),
    slicePorts(slice.ports),
    sliceEndpoints(slice.endpoints),
    ageOf(slice, now),
  ],
);
