/**
 * The cross-node pod network's fixed facts: the backends (k3s's --flannel-backend names), the
 * VXLAN device's parameters (flannel's, so firewall rules written for k3s fit), the marker that
 * tells our routes from everyone else's, and the Node annotations through which nodes learn
 * each other's tunnel endpoints.
 */
import crypto from 'node:crypto';
import type { ClusterNetworkConfig } from '../clusterconfig.ts';
import { NetworkError } from '../errors.ts';

/** vxlan (k3s's default), host-gw (plain routes, one L2 segment), none (bring your own CNI). */
export type FlannelBackend = ClusterNetworkConfig['flannelBackend'];
export const FLANNEL_BACKENDS: readonly FlannelBackend[] = ['vxlan', 'host-gw', 'none'];

/** k3s backends tsk does not have, so the refusal can say so rather than "unknown". */
const NOT_IN_TSK = ['wireguard-native', 'ipsec', 'wireguard', 'udp'];

/** The backend named by a flag or a stored config; a one-line error naming the flag otherwise. */
export function parseFlannelBackend(raw: string): FlannelBackend {
  if ((FLANNEL_BACKENDS as readonly string[]).includes(raw)) return raw as FlannelBackend;
  const why = NOT_IN_TSK.includes(raw) ? 'is a k3s backend tsk does not have' : 'is not a backend';
  throw new NetworkError('bad-flannel-backend', `--flannel-backend "${raw}" ${why} (use ${FLANNEL_BACKENDS.join(', ')})`);
}

/** flannel.1 in flannel; ours has its own name so both can live on one host. */
export const VXLAN_DEVICE = 'tsk.1';
export const VXLAN_VNI = 1;
/** flannel's and the Linux default port (IANA's 4789 is what Windows nodes would need). */
export const VXLAN_PORT = 8472;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14) headers. */
export const VXLAN_OVERHEAD = 50;

/**
 * The routing protocol number on every route we add (`ip route ... proto 116`, 116 = 't'):
 * unused in iproute2's rt_protos, it lets a restarted agent find exactly its own routes and
 * leave the kernel's, DHCP's and the administrator's alone.
 */
export const ROUTE_PROTO = 116;

/**
 * What a node publishes on its own Node object. tsk's own names rather than flannel's
 * (flannel.alpha.coreos.com/backend-data, …/public-ip): a real flannel deployed later with
 * --flannel-backend=none would otherwise take them for leases of its own, and our device is
 * not flannel.1.
 */
export const ANNOTATIONS = {
  /** The backend this node runs: peers with another one get no route, and a warning. */
  backend: 'tsk.io/backend',
  /** The address other nodes send to: the --flannel-iface address, or the node IP. */
  publicIp: 'tsk.io/public-ip',
  /** The MAC address of this node's tsk.1 (vxlan only). */
  vxlanMac: 'tsk.io/vxlan-mac',
} as const;

/** The pods' MTU: the interface's, less the VXLAN headers when traffic is encapsulated. */
export function podMtu(backend: FlannelBackend, interfaceMtu: number): number | undefined {
  if (backend === 'none') return undefined;
  return backend === 'vxlan' ? interfaceMtu - VXLAN_OVERHEAD : interfaceMtu;
}

/**
 * The VXLAN device's MAC, derived from the node name (locally administered, unicast): the
 * kernel would pick a random one at each creation, so after a reboot every peer would send to
 * a stale MAC until it saw the new annotation. Stable, it survives reboots and re-creation.
 */
export function vtepMac(nodeName: string): string {
  const bytes = crypto.createHash('sha256').update(`${VXLAN_DEVICE}/${nodeName}`).digest().subarray(0, 6);
  bytes[0] = (bytes[0]! & 0xfe) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
