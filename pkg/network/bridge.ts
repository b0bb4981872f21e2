/**
 * The node's pod bridge, made by the agent as soon as the podCIDR is known rather than by the
 * CNI bridge plugin at the first pod: the node's DNS server listens on the bridge's gateway
 * address, which must exist before any pod asks. The bridge plugin later finds the bridge with
 * the very address it would have given it, and uses it as it is.
 */
import { IpRoute2 } from './iproute2.ts';

export interface BridgeOptions {
  name: string;
  /** The gateway address with the podCIDR's prefix length, e.g. 10.42.0.1/24. */
  address: string;
  /** Inside this named network namespace (tests). */
  netns?: string;
}

/** Creates the bridge and its address when missing, drops addresses of other ranges, brings it up. */
export async function ensureBridge(options: BridgeOptions): Promise<void> {
  const iproute2 = new IpRoute2(options.netns);
  const ip = (args: string[]) => iproute2.run('ip', args);
  const links = (await iproute2.json('ip', ['link', 'show'])) as { ifname: string; linkinfo?: { info_kind?: string } }[];
  const existing = links.find((l) => l.ifname === options.name);
  if (!existing) await ip(['link', 'add', options.name, 'type', 'bridge']);
  const [address, prefix] = options.address.split('/');
  const addrs = (await iproute2.json('ip', ['addr', 'show', 'dev', options.name])) as { addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[] }[];
  const family = address!.includes(':') ? 'inet6' : 'inet';
  const current = (addrs[0]?.addr_info ?? []).filter((a) => a.family === family && a.scope !== 'link');
  // The bridge is ours: an address of another range (an earlier cluster on this data dir)
  // would make the bridge plugin refuse every pod.
  for (const stale of current.filter((a) => !(a.local === address && String(a.prefixlen) === prefix))) {
    await ip(['addr', 'del', `${stale.local}/${stale.prefixlen}`, 'dev', options.name]);
  }
  if (!current.some((a) => a.local === address && String(a.prefixlen) === prefix)) await ip(['addr', 'add', options.address, 'dev', options.name]);
  await ip(['link', 'set', options.name, 'up']);
}
