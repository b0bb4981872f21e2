/**
 * What the EndpointSlice and Endpoints controllers both ask of a Service and its pods
 * (Kubernetes' endpointutil and podutil): which pods a service selects, whether a pod belongs
 * in endpoints at all, and which port a service port reaches on it.
 */
import type { KObject } from '../../api/types.ts';

export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
  targetPort?: number | string;
}

/** Services this controller fills: ones with a selector, except ExternalName (issue 105986). */
export function managesEndpoints(svc: KObject): boolean {
  const selector = svc.spec?.selector;
  if (!selector || typeof selector !== 'object') return false;
  return svc.spec?.type !== 'ExternalName';
}

/** A service's map selector matches every label it names (an empty one matches all pods). */
export function selects(svc: KObject, pod: KObject): boolean {
  if (pod.metadata.namespace !== svc.metadata.namespace) return false;
  const labels = pod.metadata.labels ?? {};
  return Object.entries(svc.spec?.selector as Record<string, string>).every(([k, v]) => labels[k] === v);
}

export function podIp(pod: KObject): string | undefined {
  return pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || undefined;
}

/**
 * Finished pods and pods without an IP are no endpoints; terminating ones only when the
 * caller keeps them (EndpointSlices always do, Endpoints only with publishNotReadyAddresses).
 */
export function shouldPodBeInEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!podIp(pod)) return false;
  return includeTerminating || !pod.metadata.deletionTimestamp;
}

/** A service's hostname for the pod: when the pod names it as subdomain and sets a hostname. */
export function podHostname(pod: KObject, svc: KObject): string | undefined {
  const hostname = pod.spec?.hostname;
  return hostname && pod.spec?.subdomain === svc.metadata.name ? hostname : undefined;
}

/**
 * The port a service port reaches on this pod: a number as is, a name looked up among the
 * pod's container ports of the same protocol; undefined when the pod has no such port.
 */
export function findPort(pod: KObject, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  for (const c of (pod.spec?.containers ?? []) as { ports?: { name?: string; containerPort: number; protocol?: string }[] }[]) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

export function servicePorts(svc: KObject): ServicePort[] {
  return (svc.spec?.ports ?? []) as ServicePort[];
}

export function podReference(pod: KObject): { kind: string; namespace: string; name: string; uid: string } {
  return { kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! };
}

/** Keys of the services that select any of these pods (a pod before and after a change). */
export function servicesSelecting(services: KObject[], ...pods: (KObject | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const svc of services) {
    if (!managesEndpoints(svc)) continue;
    if (pods.some((p) => p && selects(svc, p))) keys.add(`${svc.metadata.namespace}/${svc.metadata.name}`);
  }
  return [...keys];
}
