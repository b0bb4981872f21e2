/**
 * The parts of Pods, Namespaces and NetworkPolicies (networking.k8s.io/v1) that enforcement
 * reads, taken out of the loosely typed API objects once per sync. Which pods count follows
 * kube-router: a pod with an address that has not finished; host-network pods share the
 * node's address, so they are treated as the node (never isolated, never a selector's peer).
 */
import net from 'node:net';
import type { KObject } from '../../api/types.ts';
import type { LabelSelector } from '../../api/validation/meta.ts';
import { parseCidr } from '../cidr.ts';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type Direction = 'ingress' | 'egress';

export interface ContainerPort {
  name: string;
  port: number;
  protocol: Protocol;
}

export interface PodInfo {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** The pod's addresses of the family being enforced. */
  ips: string[];
  nodeName?: string;
  /** Named container ports, which a policy's named `port` resolves against. */
  ports: ContainerPort[];
}

/** One entry of a rule's `ports`: a number (optionally a range up to endPort), a name, or only a protocol. */
export interface PortSpec {
  protocol: Protocol;
  port?: number;
  endPort?: number;
  name?: string;
}

export interface IpBlock {
  cidr: string;
  except: string[];
}

/** One entry of `from`/`to`: selectors (absent = not given) or an ipBlock. */
export interface PeerSpec {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IpBlock;
}

export interface RuleSpec {
  /** Undefined: every peer (the field was missing or empty). */
  peers?: PeerSpec[];
  /** Empty: every port. */
  ports: PortSpec[];
}

export interface PolicyInfo {
  namespace: string;
  name: string;
  podSelector: LabelSelector;
  /** policyTypes, defaulted: Ingress always, Egress when egress rules are present. */
  types: Set<Direction>;
  ingress: RuleSpec[];
  egress: RuleSpec[];
}

type Obj = Record<string, any>;

const FINISHED = new Set(['Succeeded', 'Failed', 'Completed']);

function protocolOf(value: unknown): Protocol {
  const p = String(value ?? 'TCP').toUpperCase();
  return p === 'UDP' || p === 'SCTP' ? p : 'TCP';
}

export function familyOf(ip: string): 4 | 6 | 0 {
  return net.isIPv4(ip) ? 4 : net.isIPv6(ip) ? 6 : 0;
}

/** The pod as enforcement sees it, or undefined when it takes no part (no address, finished, host network). */
export function podInfo(obj: KObject, family: 4 | 6): PodInfo | undefined {
  const pod = obj as Obj;
  if (pod.spec?.hostNetwork || FINISHED.has(pod.status?.phase)) return undefined;
  const listed: string[] = (pod.status?.podIPs ?? []).map((p: Obj) => p?.ip).filter(Boolean);
  if (pod.status?.podIP && !listed.includes(pod.status.podIP)) listed.push(pod.status.podIP);
  const ips = listed.filter((ip) => familyOf(ip) === family);
  if (ips.length === 0) return undefined;
  const ports: ContainerPort[] = [];
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as Obj[]) {
    for (const p of c.ports ?? []) {
      if (p?.name && Number.isInteger(p.containerPort)) ports.push({ name: p.name, port: p.containerPort, protocol: protocolOf(p.protocol) });
    }
  }
  return { namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name ?? '', labels: obj.metadata.labels ?? {}, ips, nodeName: pod.spec?.nodeName, ports };
}

/** What of a pod enforcement depends on: updates that leave it alone (status conditions) cost no sync. */
export function podFingerprint(obj: KObject): string {
  const pod = obj as Obj;
  return JSON.stringify([
    obj.metadata.labels ?? {}, pod.status?.podIP, pod.status?.podIPs, pod.status?.phase, pod.spec?.nodeName, pod.spec?.hostNetwork,
    (pod.spec?.containers ?? []).map((c: Obj) => c.ports), (pod.spec?.initContainers ?? []).map((c: Obj) => c.ports),
  ]);
}

/** A namespace's labels; the apiserver puts kubernetes.io/metadata.name on every one, and so does this. */
export function namespaceLabels(obj: KObject): Record<string, string> {
  return { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
}

function portSpecs(list: unknown): PortSpec[] {
  const out: PortSpec[] = [];
  for (const p of (Array.isArray(list) ? list : []) as Obj[]) {
    const protocol = protocolOf(p?.protocol);
    if (typeof p?.port === 'string' && !/^\d+$/.test(p.port)) out.push({ protocol, name: p.port });
    else if (p?.port !== undefined && p.port !== null) {
      const port = Number(p.port);
      const endPort = Number.isInteger(p.endPort) && p.endPort > port ? (p.endPort as number) : undefined;
      out.push({ protocol, port, ...(endPort ? { endPort } : {}) });
    } else out.push({ protocol });
  }
  return out;
}

function peerSpecs(list: unknown): PeerSpec[] | undefined {
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return (list as Obj[]).map((p) => ({
    ...(p?.podSelector ? { podSelector: p.podSelector } : {}),
    ...(p?.namespaceSelector ? { namespaceSelector: p.namespaceSelector } : {}),
    ...(p?.ipBlock?.cidr ? { ipBlock: { cidr: String(p.ipBlock.cidr), except: (p.ipBlock.except ?? []).map(String) } } : {}),
  }));
}

function ruleSpecs(list: unknown, peerField: 'from' | 'to'): RuleSpec[] {
  return ((Array.isArray(list) ? list : []) as Obj[]).map((r) => ({ peers: peerSpecs(r?.[peerField]), ports: portSpecs(r?.ports) }));
}

export function policyInfo(obj: KObject): PolicyInfo {
  const spec: Obj = (obj as Obj).spec ?? {};
  const egress = ruleSpecs(spec.egress, 'to');
  const types = new Set<Direction>();
  if (Array.isArray(spec.policyTypes) && spec.policyTypes.length > 0) {
    for (const t of spec.policyTypes) if (t === 'Ingress' || t === 'Egress') types.add(t === 'Ingress' ? 'ingress' : 'egress');
  } else {
    types.add('ingress');
    if (Array.isArray(spec.egress) && spec.egress.length > 0) types.add('egress');
  }
  return {
    namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name ?? '',
    podSelector: spec.podSelector ?? {}, types, ingress: ruleSpecs(spec.ingress, 'from'), egress,
  };
}

/** A CIDR the kernel accepts, of `family`; a bare address counts as a single host. */
export function validCidr(cidr: string, family: 4 | 6): boolean {
  // A bare address is a block of one, as the API accepts it.
  if (!cidr.includes('/')) return familyOf(cidr) === family;
  return parseCidr(cidr)?.family === family;
}

/** Whether `ip` lies in `block` and outside every one of its exceptions. */
export function inBlock(ip: string, block: IpBlock, family: 4 | 6): boolean {
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = (cidrs: string[]) => {
    const b = new net.BlockList();
    for (const c of cidrs) {
      const [address, prefix] = c.split('/');
      b.addSubnet(address!, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), type);
    }
    return b;
  };
  return list([block.cidr]).check(ip, type) && !list(block.except.filter((c) => validCidr(c, family))).check(ip, type);
}
