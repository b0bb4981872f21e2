/**
 * The network settings every node of a cluster must share, decided by the server's flags and
 * handed to agents by the supervisor (GET /v1-tsk/config), as k3s's agents fetch theirs: an
 * agent that disagreed with the server on the cluster range or the DNS address would route and
 * resolve wrongly without any error.
 */
import net from 'node:net';
import { isCidr } from './cidr.ts';

export interface ClusterNetworkConfig {
  /** --cluster-cidr: every pod address; traffic leaving it is masqueraded. */
  clusterCidr: string;
  /** --service-cidr. */
  serviceCidr: string;
  /** --cluster-dns: the kube-dns Service's ClusterIP, which pods get as their nameserver. */
  clusterDns: string;
  clusterDomain: string;
  /** --flannel-backend: vxlan, host-gw or none. */
  flannelBackend: 'vxlan' | 'host-gw' | 'none';
  /** Node-side parts the server was told not to run: servicelb, coredns, network-policy, kube-proxy. */
  disabled: string[];
}

/** k3s's defaults: what an agent assumes when it has never reached its server. */
export const DEFAULT_CLUSTER_NETWORK: ClusterNetworkConfig = {
  clusterCidr: '10.42.0.0/16',
  serviceCidr: '10.43.0.0/16',
  clusterDns: '10.43.0.10',
  clusterDomain: 'cluster.local',
  flannelBackend: 'vxlan',
  disabled: [],
};


/** The config from JSON text (the supervisor's answer or the agent's stored copy); a message says what is wrong. */
export function parseClusterNetworkConfig(text: string): ClusterNetworkConfig {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) throw new Error('not a JSON object');
  const { clusterCidr, serviceCidr, clusterDns, clusterDomain, flannelBackend, disabled } = value;
  if (!isCidr(clusterCidr)) throw new Error(`clusterCidr ${JSON.stringify(clusterCidr)} is not a CIDR`);
  if (!isCidr(serviceCidr)) throw new Error(`serviceCidr ${JSON.stringify(serviceCidr)} is not a CIDR`);
  if (typeof clusterDns !== 'string' || net.isIP(clusterDns) === 0) throw new Error(`clusterDns ${JSON.stringify(clusterDns)} is not an IP address`);
  if (typeof clusterDomain !== 'string' || clusterDomain === '') throw new Error('clusterDomain is missing');
  if (flannelBackend !== 'vxlan' && flannelBackend !== 'host-gw' && flannelBackend !== 'none') throw new Error(`flannelBackend ${JSON.stringify(flannelBackend)} is not vxlan, host-gw or none`);
  if (!Array.isArray(disabled) || !disabled.every((d) => typeof d === 'string')) throw new Error('disabled is not a list of names');
  return { clusterCidr, serviceCidr, clusterDns, clusterDomain, flannelBackend, disabled: disabled as string[] };
}
