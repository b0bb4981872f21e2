/**
 * NetworkPolicy → the filter-table chains one node needs, as data (iptables-restore lines per
 * chain). The layout follows kube-router's, without ipsets (the binary is missing here, and
 * for an edge cluster's few hundred pods a rule per peer address is cheap enough):
 *
 *   FORWARD/OUTPUT → TSK-NWPLCY      replies pass; then one jump per isolated local pod:
 *                                     -s pod → its egress chain, -d pod → its ingress chain
 *   TSK-POD-FW-<hash>  (pod, direction)  node→pod and pod→itself pass; jumps to each policy that
 *                                     selects the pod; unmarked packets are REJECTed as
 *                                     kube-router does (the client fails at once), TCP with a
 *                                     reset unless a Service's DNAT brought it
 *   TSK-POL-<hash>     (policy, direction)  one rule per allowed peer × port: sets the mark
 *   TSK-POL-<hash>     (ipBlock exceptions)  RETURN for each except, then the mark
 *
 * The chains only ever REJECT or RETURN, never ACCEPT: what passes policy still meets the rest
 * of FORWARD (the service proxy's and the host's own rules). Mark bit 0x10000 means "allowed
 * by some policy" within one pod chain and is cleared when the pod chain ends, so the source
 * pod's egress verdict never leaks into the destination pod's ingress check.
 */
import { createHash } from 'node:crypto';
import { labelSelectorMatches } from '../../api/validation/meta.ts';
import { inBlock, validCidr, type Direction, type IpBlock, type PodInfo, type PolicyInfo, type PortSpec, type RuleSpec } from './model.ts';

export const TOP_CHAIN = 'TSK-NWPLCY';
export const POD_CHAIN_PREFIX = 'TSK-POD-FW-';
export const POLICY_CHAIN_PREFIX = 'TSK-POL-';
export const ALLOWED_MARK = '0x10000/0x10000';

/** Chains this package owns (and may delete when they are not wanted). */
export function isPolicyChain(name: string): boolean {
  return name === TOP_CHAIN || name.startsWith(POD_CHAIN_PREFIX) || name.startsWith(POLICY_CHAIN_PREFIX);
}

export interface ClusterState {
  /** Pods that take part (podInfo), on every node: peers may be anywhere. */
  pods: PodInfo[];
  policies: PolicyInfo[];
  /** Namespace name → labels; a namespace not listed has only kubernetes.io/metadata.name. */
  namespaces: Map<string, Record<string, string>>;
  nodeName: string;
  family: 4 | 6;
}

/** Chain name → its rules ("-A CHAIN ..."), TSK-NWPLCY always included. */
export type DesiredChains = Map<string, string[]>;

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16).toUpperCase();
}

export function podChainName(pod: Pick<PodInfo, 'namespace' | 'name'>, direction: Direction): string {
  return POD_CHAIN_PREFIX + hash(pod.namespace, pod.name, direction);
}

export function policyChainName(policy: Pick<PolicyInfo, 'namespace' | 'name'>, direction: Direction): string {
  return POLICY_CHAIN_PREFIX + hash(policy.namespace, policy.name, direction);
}

const byName = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) =>
  a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1;

/** Ports of the protocol's match; the protocol alone when there is no port. */
function portArgs(protocol: string, from?: number, to?: number): string {
  const p = protocol.toLowerCase();
  if (from === undefined) return `-p ${p}`;
  return `-p ${p} -m ${p} --dport ${to !== undefined ? `${from}:${to}` : from}`;
}

class ChainBuilder {
  readonly chains: DesiredChains = new Map();

  constructor(private readonly state: ClusterState, private readonly podsByNamespace: Map<string, PodInfo[]>) {}

  private namespaceLabels(name: string): Record<string, string> {
    return this.state.namespaces.get(name) ?? { 'kubernetes.io/metadata.name': name };
  }

  /** Pods a podSelector/namespaceSelector peer names: both given means both must hold. */
  private peerPods(policy: PolicyInfo, peer: { podSelector?: PolicyInfo['podSelector']; namespaceSelector?: PolicyInfo['podSelector'] }): PodInfo[] {
    const namespaces = peer.namespaceSelector
      ? [...this.podsByNamespace.keys()].filter((ns) => labelSelectorMatches(peer.namespaceSelector, this.namespaceLabels(ns)))
      : [policy.namespace];
    const out: PodInfo[] = [];
    for (const ns of namespaces) {
      for (const pod of this.podsByNamespace.get(ns) ?? []) {
        if (!peer.podSelector || labelSelectorMatches(peer.podSelector, pod.labels)) out.push(pod);
      }
    }
    return out;
  }

  /** The chain that lets packets from (ingress) or to (egress) an ipBlock in unless an exception matches. */
  private exceptChain(direction: Direction, except: string[]): string {
    const name = POLICY_CHAIN_PREFIX + hash('except', direction, ...except);
    if (!this.chains.has(name)) {
      const flag = direction === 'ingress' ? '-s' : '-d';
      this.chains.set(name, [...except.map((c) => `-A ${name} ${flag} ${c} -j RETURN`), `-A ${name} -j MARK --set-xmark ${ALLOWED_MARK}`]);
    }
    return name;
  }

  /** The lines of one rule of `policy`; `targets` are its local target pods (named ports resolve on them for ingress). */
  private ruleLines(chain: string, policy: PolicyInfo, direction: Direction, rule: RuleSpec, targets: PodInfo[]): string[] {
    const { family } = this.state;
    const flag = direction === 'ingress' ? '-s' : '-d';
    const allPeers = rule.peers === undefined;
    const pods = new Map<string, PodInfo>();
    const blocks: IpBlock[] = [];
    for (const peer of rule.peers ?? []) {
      if (peer.ipBlock) {
        // An invalid block allows nothing (fail closed); the apiserver should have refused it.
        if (validCidr(peer.ipBlock.cidr, family)) blocks.push({ cidr: peer.ipBlock.cidr, except: peer.ipBlock.except.filter((c) => validCidr(c, family)) });
      } else if (peer.podSelector || peer.namespaceSelector) {
        for (const pod of this.peerPods(policy, peer)) pods.set(`${pod.namespace}/${pod.name}`, pod);
      }
    }
    // Peer matches as "address part" strings, or an ipBlock with exceptions (a jump).
    const peerMatches: { match: string; jump?: string }[] = allPeers ? [{ match: '' }] : [];
    for (const pod of pods.values()) for (const ip of pod.ips) peerMatches.push({ match: `${flag} ${ip}` });
    for (const b of blocks) peerMatches.push({ match: `${flag} ${b.cidr}`, ...(b.except.length ? { jump: this.exceptChain(direction, b.except) } : {}) });

    const portMatches: string[] = [];
    const named: PortSpec[] = [];
    if (rule.ports.length === 0) portMatches.push('');
    for (const p of rule.ports) {
      if (p.name !== undefined) named.push(p);
      else portMatches.push(portArgs(p.protocol, p.port, p.endPort));
    }
    const lines: string[] = [];
    const emit = (peer: { match: string; jump?: string }, port: string) => {
      const parts = [`-A ${chain}`, peer.match, port, peer.jump ? `-j ${peer.jump}` : `-j MARK --set-xmark ${ALLOWED_MARK}`];
      lines.push(parts.filter(Boolean).join(' '));
    };
    for (const peer of peerMatches) for (const port of portMatches) emit(peer, port);
    for (const p of named) {
      if (direction === 'ingress') {
        // The name is a port of the pod being protected: one match per local target pod.
        for (const t of targets) {
          for (const cp of t.ports) {
            if (cp.name !== p.name || cp.protocol !== p.protocol) continue;
            for (const ip of t.ips) for (const peer of peerMatches) emit(peer, `-d ${ip} ${portArgs(cp.protocol, cp.port)}`);
          }
        }
      } else {
        // The name is a port of the destination: each destination pod the peers cover.
        for (const dest of this.namedDestinations(p, allPeers ? undefined : { pods, blocks })) {
          lines.push(`-A ${chain} -d ${dest} -j MARK --set-xmark ${ALLOWED_MARK}`);
        }
      }
    }
    return lines;
  }

  /** "address port-match" of every destination pod with the named port (all pods when `peers` is undefined). */
  private namedDestinations(p: PortSpec, peers?: { pods: Map<string, PodInfo>; blocks: IpBlock[] }): string[] {
    const { family } = this.state;
    const out = new Set<string>();
    for (const pod of this.state.pods) {
      const selected = !peers || peers.pods.has(`${pod.namespace}/${pod.name}`);
      for (const cp of pod.ports) {
        if (cp.name !== p.name || cp.protocol !== p.protocol) continue;
        for (const ip of pod.ips) {
          if (selected || peers!.blocks.some((b) => inBlock(ip, b, family))) out.add(`${ip} ${portArgs(cp.protocol, cp.port)}`);
        }
      }
    }
    return [...out];
  }

  policyChain(policy: PolicyInfo, direction: Direction, targets: PodInfo[]): string {
    const name = policyChainName(policy, direction);
    const lines: string[] = [];
    const rules = direction === 'ingress' ? policy.ingress : policy.egress;
    rules.forEach((rule, i) => {
      const ruleLines = this.ruleLines(name, policy, direction, rule, targets);
      lines.push(...ruleLines);
      // Once one rule allowed the packet the others need not be looked at.
      if (ruleLines.length > 0 && i < rules.length - 1) lines.push(`-A ${name} -m mark --mark ${ALLOWED_MARK} -j RETURN`);
    });
    this.chains.set(name, lines);
    return name;
  }

  podChain(pod: PodInfo, direction: Direction, policyChains: string[]): string {
    const name = podChainName(pod, direction);
    const lines: string[] = [];
    if (direction === 'ingress') {
      // Traffic from the pod's own node is always allowed (the kubelet's probes), as the API says.
      lines.push(`-A ${name} -m addrtype --src-type LOCAL -j RETURN`);
      for (const ip of pod.ips) lines.push(`-A ${name} -s ${ip} -j RETURN`);
    } else {
      for (const ip of pod.ips) lines.push(`-A ${name} -d ${ip} -j RETURN`);
    }
    policyChains.forEach((chain, i) => lines.push(`-A ${name}${i > 0 ? ` -m mark ! --mark ${ALLOWED_MARK}` : ''} -j ${chain}`));
    // xt_comment holds 255 bytes; names can be longer.
    const what = `${direction} of ${pod.namespace}/${pod.name}`.slice(0, 200);
    // TCP gets a reset (never rate-limited, unlike the kernel's ICMP errors), the rest port-unreachable.
    // TCP that a Service's DNAT sent here gets the ICMP error instead: for a packet that came in
    // through a bridge port (br_netfilter) the kernel writes the reset straight back out of that
    // port, past the reverse NAT, so it carries the pod's address and the client, which dialled
    // the Service's, ignores it and hangs. The ICMP error goes the routed way and is translated;
    // a client on this node blocked in connect() only takes it from the SYN's retransmit, a
    // second later (the first arrives while connect() holds the socket), others at once.
    lines.push(`-A ${name} -p tcp -m conntrack ! --ctstate DNAT -m mark ! --mark ${ALLOWED_MARK} -m comment --comment "network policy: reject ${what}" -j REJECT --reject-with tcp-reset`);
    lines.push(`-A ${name} -m mark ! --mark ${ALLOWED_MARK} -m comment --comment "network policy: reject ${what}" -j REJECT`);
    lines.push(`-A ${name} -j MARK --set-xmark 0x0/0x10000`);
    this.chains.set(name, lines);
    return name;
  }
}

/** Every chain this node needs for the cluster as it is now. */
export function desiredChains(state: ClusterState): DesiredChains {
  const podsByNamespace = new Map<string, PodInfo[]>();
  for (const pod of state.pods) {
    if (!podsByNamespace.has(pod.namespace)) podsByNamespace.set(pod.namespace, []);
    podsByNamespace.get(pod.namespace)!.push(pod);
  }
  for (const ns of state.namespaces.keys()) if (!podsByNamespace.has(ns)) podsByNamespace.set(ns, []);
  const b = new ChainBuilder(state, podsByNamespace);
  const local = state.pods.filter((p) => p.nodeName === state.nodeName).sort(byName);
  const policies = [...state.policies].sort(byName);
  const top: string[] = [];
  const podJumps: string[] = [];
  for (const direction of ['egress', 'ingress'] as const) {
    // policy → its local targets, for the policies that isolate this direction.
    const targets = new Map<PolicyInfo, PodInfo[]>();
    for (const policy of policies) {
      if (!policy.types.has(direction)) continue;
      const selected = local.filter((pod) => pod.namespace === policy.namespace && labelSelectorMatches(policy.podSelector, pod.labels));
      if (selected.length > 0) targets.set(policy, selected);
    }
    const chainOf = new Map<PolicyInfo, string>();
    for (const [policy, pods] of targets) chainOf.set(policy, b.policyChain(policy, direction, pods));
    for (const pod of local) {
      const chains = [...targets].filter(([, pods]) => pods.includes(pod)).map(([policy]) => chainOf.get(policy)!);
      if (chains.length === 0) continue;
      const chain = b.podChain(pod, direction, chains);
      for (const ip of pod.ips) podJumps.push(`-A ${TOP_CHAIN} ${direction === 'egress' ? '-s' : '-d'} ${ip} -j ${chain}`);
    }
  }
  // Replies of allowed connections pass (conntrack); nothing at all when no pod is isolated here.
  if (podJumps.length > 0) top.push(`-A ${TOP_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`, ...podJumps);
  b.chains.set(TOP_CHAIN, top);
  return b.chains;
}
