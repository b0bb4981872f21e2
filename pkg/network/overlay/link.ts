/**
 * The node's links as the overlay needs them: the interface other nodes reach this one
 * through (--flannel-iface, or the one holding the node IP), and the VXLAN device, created or
 * repaired to match what this node publishes. Re-creating it is the only way to change its
 * VNI, port, local address or underlying interface, and drops its routes with it: that only
 * happens when one of those really differs.
 */
import net from 'node:net';
import { NetworkError } from '../errors.ts';
import { VXLAN_DEVICE, VXLAN_PORT, VXLAN_VNI } from './backend.ts';
import type { IpRoute2 } from '../iproute2.ts';
import { canonicalCidr } from '../cidr.ts';

type Obj = Record<string, any>;

export interface Interface {
  name: string;
  mtu: number;
  /** The address this node publishes and VXLAN packets leave from. */
  ip: string;
  /** Its IPv4 networks, address/prefix with host bits cleared. */
  networks: string[];
}

function ipv4Of(link: Obj): { local: string; prefixlen: number }[] {
  const all = Array.isArray(link.addr_info) ? (link.addr_info as Obj[]) : [];
  return all.filter((a) => a.family === 'inet' && net.isIPv4(String(a.local))).map((a) => ({ local: String(a.local), prefixlen: Number(a.prefixlen) }));
}

function toInterface(link: Obj, ip: string): Interface {
  return {
    name: String(link.ifname),
    mtu: Number(link.mtu),
    ip,
    networks: ipv4Of(link).map((a) => canonicalCidr(`${a.local}/${a.prefixlen}`)),
  };
}

/**
 * Picks the interface from `ip -j -4 addr show` output: `iface` when given (its address
 * is the node IP if it holds it, else its first IPv4 address, as k3s's flannel does), else the
 * one holding `nodeIp`. A one-line error says what is missing.
 */
export function pickInterface(links: unknown, nodeIp: string, iface?: string): Interface {
  const all = (Array.isArray(links) ? links : []) as Obj[];
  if (iface !== undefined) {
    const link = all.find((l) => l.ifname === iface);
    if (!link) throw new NetworkError('no-interface', `--flannel-iface ${iface}: no such interface with an IPv4 address on this node`);
    const addresses = ipv4Of(link);
    const ip = addresses.some((a) => a.local === nodeIp) ? nodeIp : addresses[0]?.local;
    if (ip === undefined) throw new NetworkError('no-interface', `--flannel-iface ${iface} has no IPv4 address`);
    return toInterface(link, ip);
  }
  const link = all.find((l) => ipv4Of(l).some((a) => a.local === nodeIp));
  if (!link) throw new NetworkError('no-interface', `no interface holds the node IP ${nodeIp}: set --node-ip to an address of this machine, or --flannel-iface`);
  return toInterface(link, nodeIp);
}

export async function findInterface(ip: IpRoute2, nodeIp: string, iface?: string): Promise<Interface> {
  return pickInterface(await ip.json('ip', ['-4', 'addr', 'show']), nodeIp, iface);
}

export interface VxlanDevice {
  iface: Interface;
  mac: string;
  mtu: number;
  /** The node podCIDR's network address, /32 (flannel's layout). */
  address: string;
}

/** Why an existing device must be re-created, or undefined when it can be kept. */
export function vxlanMismatch(link: Obj, want: VxlanDevice): string | undefined {
  const kind = link.linkinfo?.info_kind;
  if (kind !== 'vxlan') return `it is a ${kind ?? 'plain'} device, not vxlan`;
  const data = (link.linkinfo?.info_data ?? {}) as Obj;
  if (data.id !== VXLAN_VNI) return `VNI ${data.id} instead of ${VXLAN_VNI}`;
  if (data.port !== VXLAN_PORT) return `port ${data.port} instead of ${VXLAN_PORT}`;
  if (data.local !== want.iface.ip) return `local address ${data.local ?? 'none'} instead of ${want.iface.ip}`;
  if (data.link !== want.iface.name) return `on ${data.link ?? 'no interface'} instead of ${want.iface.name}`;
  if (data.learning !== false) return 'address learning is on';
  return undefined;
}

async function readLink(ip: IpRoute2, name: string): Promise<Obj | undefined> {
  const result = await ip.exec('ip', ['-j', '-d', 'link', 'show', 'dev', name]);
  if (result.code !== 0) return undefined;
  return (JSON.parse(result.stdout) as Obj[])[0];
}

/** Creates tsk.1 or fixes it; returns what it changed (empty when nothing), for the log. */
export async function ensureVxlanDevice(ip: IpRoute2, want: VxlanDevice): Promise<string[]> {
  const changes: string[] = [];
  let link = await readLink(ip, VXLAN_DEVICE);
  const mismatch = link && vxlanMismatch(link, want);
  if (mismatch) {
    await ip.run('ip', ['link', 'del', 'dev', VXLAN_DEVICE]);
    changes.push(`re-created ${VXLAN_DEVICE} (${mismatch})`);
    link = undefined;
  }
  if (!link) {
    await ip.run('ip', [
      'link', 'add', VXLAN_DEVICE, 'address', want.mac, 'mtu', String(want.mtu), 'type', 'vxlan', 'id', String(VXLAN_VNI),
      'local', want.iface.ip, 'dev', want.iface.name, 'dstport', String(VXLAN_PORT), 'nolearning',
    ]);
    if (!mismatch) changes.push(`created ${VXLAN_DEVICE} (VNI ${VXLAN_VNI}, port ${VXLAN_PORT}, via ${want.iface.name} ${want.iface.ip})`);
    link = await readLink(ip, VXLAN_DEVICE);
  }
  if (String(link?.address).toLowerCase() !== want.mac) {
    await ip.run('ip', ['link', 'set', 'dev', VXLAN_DEVICE, 'address', want.mac]);
    changes.push(`MAC ${want.mac}`);
  }
  if (link?.mtu !== want.mtu) {
    await ip.run('ip', ['link', 'set', 'dev', VXLAN_DEVICE, 'mtu', String(want.mtu)]);
    changes.push(`MTU ${want.mtu}`);
  }
  const addresses = ipv4Of(((await ip.json('ip', ['-4', 'addr', 'show', 'dev', VXLAN_DEVICE])) as Obj[])[0] ?? {});
  for (const a of addresses) {
    if (`${a.local}/${a.prefixlen}` === want.address) continue;
    await ip.run('ip', ['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', VXLAN_DEVICE]);
    changes.push(`removed address ${a.local}/${a.prefixlen}`);
  }
  if (!addresses.some((a) => `${a.local}/${a.prefixlen}` === want.address)) {
    await ip.run('ip', ['addr', 'add', want.address, 'dev', VXLAN_DEVICE]);
    changes.push(`address ${want.address}`);
  }
  if (!(Array.isArray(link?.flags) && link.flags.includes('UP'))) {
    await ip.run('ip', ['link', 'set', 'dev', VXLAN_DEVICE, 'up']);
    changes.push('up');
  }
  return changes;
}

/** Deletes a link if it exists (its routes, neighbours and forwarding entries go with it). */
export async function deleteLink(ip: IpRoute2, name: string): Promise<boolean> {
  if (!(await readLink(ip, name))) return false;
  await ip.run('ip', ['link', 'del', 'dev', name]);
  return true;
}
