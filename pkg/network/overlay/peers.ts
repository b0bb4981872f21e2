/**
 * From the Node list to what the kernel should hold (pure, so unit tests cover it): each other
 * node that runs our backend becomes routes to its podCIDRs, and with VXLAN a neighbour and a
 * forwarding entry for its tunnel endpoint. Only IPv4 for now.
 */
import net from 'node:net';
import type { KObject } from '../../api/types.ts';
import { canonicalCidr, cidrContains, networkAddress } from '../cidr.ts';
import { ANNOTATIONS, VXLAN_DEVICE, type FlannelBackend } from './backend.ts';

/** A node as the overlay sees it. */
export interface Peer {
  name: string;
  /** IPv4 pod ranges (spec.podCIDRs, or spec.podCIDR). */
  podCidrs: string[];
  /** Where its tunnel or routes lead: its published public IP, else its InternalIP. */
  ip?: string;
  /** The backend it announced; undefined when it runs no overlay of ours (yet). */
  backend?: string;
  vtepMac?: string;
}

export interface Route {
  dst: string;
  gateway: string;
  dev: string;
  onlink: boolean;
}

export interface Neighbour {
  ip: string;
  mac: string;
}

export interface FdbEntry {
  mac: string;
  /** The remote node's address: VXLAN packets for `mac` go there. */
  dst: string;
}

export interface Desired {
  routes: Route[];
  neighbours: Neighbour[];
  fdb: FdbEntry[];
  /** Per peer, why it gets nothing: logged once per distinct text. */
  warnings: Map<string, string>;
}

/** This node, as the desired state needs it. */
export interface Self {
  name: string;
  backend: Exclude<FlannelBackend, 'none'>;
  /** The interface other nodes are reached through. */
  iface: string;
  /** Its IPv4 networks (address/prefix): host-gw gateways must lie in one of them. */
  ifaceNetworks: string[];
  /** Our own public IP: a peer claiming it is a misconfiguration. */
  ip: string;
  podCidrs: string[];
}

type Obj = Record<string, any>;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function isIpv4Cidr(cidr: unknown): cidr is string {
  return typeof cidr === 'string' && net.isIPv4(cidr.split('/')[0]!) && /^\d{1,2}$/.test(cidr.split('/')[1] ?? '');
}

/** The IPv4 podCIDRs of a Node (dual-stack nodes list both families in spec.podCIDRs). */
export function podCidrsOf(node: KObject): string[] {
  const spec = (node.spec ?? {}) as Obj;
  const all: unknown[] = Array.isArray(spec.podCIDRs) && spec.podCIDRs.length > 0 ? spec.podCIDRs : [spec.podCIDR];
  return all.filter(isIpv4Cidr);
}

export function peerOf(node: KObject): Peer {
  const annotations = (node.metadata.annotations ?? {}) as Record<string, string>;
  const addresses: Obj[] = Array.isArray((node.status as Obj | undefined)?.addresses) ? (node.status as Obj).addresses : [];
  const internal = addresses.find((a) => a?.type === 'InternalIP' && net.isIPv4(String(a.address)))?.address as string | undefined;
  const published = annotations[ANNOTATIONS.publicIp];
  const mac = annotations[ANNOTATIONS.vxlanMac]?.toLowerCase();
  return {
    name: node.metadata.name ?? '',
    podCidrs: podCidrsOf(node),
    ip: published && net.isIPv4(published) ? published : internal,
    backend: annotations[ANNOTATIONS.backend],
    vtepMac: mac && MAC.test(mac) ? mac : undefined,
  };
}

/** Whether `ip` sits in one of the interface's networks: host-gw can only route via such a neighbour. */
export function onLink(ip: string, ifaceNetworks: string[]): boolean {
  return ifaceNetworks.some((network) => cidrContains(network, ip));
}

export function desiredState(self: Self, nodes: KObject[]): Desired {
  const desired: Desired = { routes: [], neighbours: [], fdb: [], warnings: new Map() };
  const own = new Set(self.podCidrs.map(canonicalCidr));
  for (const node of nodes) {
    if (node.metadata.name === self.name) continue;
    const peer = peerOf(node);
    // No announcement: a node whose agent has not set up its overlay yet, or a simulated one.
    if (peer.backend === undefined || peer.podCidrs.length === 0) continue;
    const warn = (text: string) => desired.warnings.set(peer.name, `node ${peer.name}: ${text}`);
    if (peer.backend !== self.backend) {
      warn(`runs --flannel-backend ${peer.backend}, this node ${self.backend}: no route to its pods (every node must use the same backend)`);
      continue;
    }
    if (peer.ip === undefined) {
      warn('has no IPv4 InternalIP or tsk.io/public-ip: no route to its pods');
      continue;
    }
    if (peer.ip === self.ip) {
      warn(`claims this node's address ${self.ip}: no route to its pods`);
      continue;
    }
    const cidrs = peer.podCidrs.map(canonicalCidr);
    const clash = cidrs.find((cidr) => own.has(cidr));
    if (clash) {
      warn(`has this node's podCIDR ${clash}: no route to its pods`);
      continue;
    }
    if (self.backend === 'host-gw') {
      if (!onLink(peer.ip, self.ifaceNetworks)) {
        warn(`${peer.ip} is not on a network of ${self.iface} (${self.ifaceNetworks.join(', ') || 'no IPv4 address'}): host-gw needs all nodes on one L2 segment; use --flannel-backend vxlan`);
        continue;
      }
      for (const dst of cidrs) desired.routes.push({ dst, gateway: peer.ip, dev: self.iface, onlink: false });
      continue;
    }
    if (peer.vtepMac === undefined) {
      warn('runs vxlan but published no valid tsk.io/vxlan-mac: no route to its pods');
      continue;
    }
    // flannel's layout: the peer's VTEP answers for the first podCIDR's network address.
    const vtep = networkAddress(cidrs[0]!);
    for (const dst of cidrs) desired.routes.push({ dst, gateway: vtep, dev: VXLAN_DEVICE, onlink: true });
    desired.neighbours.push({ ip: vtep, mac: peer.vtepMac });
    desired.fdb.push({ mac: peer.vtepMac, dst: peer.ip });
  }
  return desired;
}
