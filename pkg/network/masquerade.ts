/**
 * The cluster's masquerade, as flannel programs it: pods keep their own address towards every
 * other pod (whatever node), and take the node's address only when they leave the cluster
 * CIDR. This replaces the bridge plugin's ipMasq, which masquerades everything leaving the
 * node's own podCIDR, pod-to-pod traffic to other nodes included.
 *
 * Also an accept for the cluster CIDR in filter FORWARD, both ways, so a host whose FORWARD
 * policy is DROP (Docker sets that) still forwards pod traffic. It is appended, not inserted:
 * NetworkPolicy's chains, inserted first, must see the traffic before anything accepts it.
 */
import net from 'node:net';
import { NetworkError } from './errors.ts';
import type { Iptables } from './iptables.ts';

/** nat: jumped from POSTROUTING. */
export const MASQ_CHAIN = 'TSK-MASQ';
/** filter: jumped from FORWARD (under TSK-MASQ…, the masquerade's share of chain names). */
export const MASQ_FORWARD_CHAIN = 'TSK-MASQ-FORWARD';

const POSTROUTING_JUMP = ['-m', 'comment', '--comment', 'tsk: masquerade traffic leaving the cluster CIDR', '-j', MASQ_CHAIN];
const FORWARD_JUMP = ['-m', 'comment', '--comment', 'tsk: forward pod traffic', '-j', MASQ_FORWARD_CHAIN];

export interface MasqueradeOptions {
  /** --cluster-cidr: every pod of every node. */
  clusterCidr: string;
  /** This node's podCIDR: traffic from outside the cluster to its own pods keeps its source. */
  podCidr: string;
}

function checkIpv4Cidr(cidr: string, what: string): void {
  const [address, prefix, extra] = cidr.split('/');
  if (!net.isIPv4(address ?? '') || extra !== undefined || !/^\d{1,2}$/.test(prefix ?? '') || Number(prefix) > 32) {
    throw new NetworkError('bad-pod-cidr', `${what} "${cidr}" is not an IPv4 range (the masquerade is IPv4 only)`);
  }
}

/** The two chains' contents in iptables-restore syntax (without *table/COMMIT). */
export function masqueradeRules(options: MasqueradeOptions): { nat: string; filter: string } {
  checkIpv4Cidr(options.clusterCidr, 'cluster CIDR');
  checkIpv4Cidr(options.podCidr, 'pod CIDR');
  const cluster = options.clusterCidr;
  const nat = [
    `:${MASQ_CHAIN} - [0:0]`,
    `-A ${MASQ_CHAIN} -s ${cluster} -d ${cluster} -m comment --comment "pod to pod: keep the pod address" -j RETURN`,
    // Multicast stays on the local segment and needs no reply path.
    `-A ${MASQ_CHAIN} -s ${cluster} ! -d 224.0.0.0/4 -m comment --comment "pod leaving the cluster" -j MASQUERADE --random-fully`,
    // From outside the cluster to this node's pods (NodePort with externalTrafficPolicy Local): keep the client's address.
    `-A ${MASQ_CHAIN} ! -s ${cluster} -d ${options.podCidr} -j RETURN`,
    // From outside the cluster to another node's pods: the reply must come back through this node.
    `-A ${MASQ_CHAIN} ! -s ${cluster} -d ${cluster} -m comment --comment "outside to a pod of another node" -j MASQUERADE --random-fully`,
  ];
  const filter = [
    `:${MASQ_FORWARD_CHAIN} - [0:0]`,
    `-A ${MASQ_FORWARD_CHAIN} -s ${cluster} -j ACCEPT`,
    `-A ${MASQ_FORWARD_CHAIN} -d ${cluster} -j ACCEPT`,
  ];
  return { nat: `${nat.join('\n')}\n`, filter: `${filter.join('\n')}\n` };
}

/**
 * Writes both chains (each in one transaction, so no packet sees half a chain) and the jumps
 * into them; idempotent, so the overlay re-runs it on every full sync to repair what someone
 * flushed.
 */
export async function ensureMasquerade(iptables: Iptables, options: MasqueradeOptions): Promise<void> {
  const rules = masqueradeRules(options);
  await iptables.restore('nat', rules.nat);
  await iptables.ensureRule('nat', 'POSTROUTING', POSTROUTING_JUMP, 'first');
  await iptables.restore('filter', rules.filter);
  await iptables.ensureRule('filter', 'FORWARD', FORWARD_JUMP, 'last');
}

/** Removes the jumps and both chains (uninstall); what is already gone is no error. */
export async function removeMasquerade(iptables: Iptables): Promise<void> {
  await iptables.deleteRule('nat', 'POSTROUTING', POSTROUTING_JUMP);
  await iptables.deleteChains('nat', [MASQ_CHAIN]);
  await iptables.deleteRule('filter', 'FORWARD', FORWARD_JUMP);
  await iptables.deleteChains('filter', [MASQ_FORWARD_CHAIN]);
}
