/**
 * The node's pod bridge, made by the agent as soon as the podCIDR is known rather than by the
 * CNI bridge plugin at the first pod: the node's DNS server listens on the bridge's gateway
 * address, which must exist before any pod asks. The bridge plugin later finds the bridge with
 * the very address it would have given it, and uses it as it is.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { NetworkError } from './errors.ts';

const run = promisify(execFile);

export interface BridgeOptions {
  name: string;
  /** The gateway address with the podCIDR's prefix length, e.g. 10.42.0.1/24. */
  address: string;
  /** Inside this named network namespace (tests). */
  netns?: string;
}

async function ip(args: string[], netns?: string): Promise<string> {
  try {
    const { stdout } = await run('ip', [...(netns ? ['-n', netns] : []), ...args], { encoding: 'utf8' });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new NetworkError('ip-failed', `ip ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Creates the bridge and its address when missing, drops addresses of other ranges, brings it up. */
export async function ensureBridge(options: BridgeOptions): Promise<void> {
  const links = JSON.parse(await ip(['-j', 'link', 'show'], options.netns)) as { ifname: string; linkinfo?: { info_kind?: string } }[];
  const existing = links.find((l) => l.ifname === options.name);
  if (!existing) await ip(['link', 'add', options.name, 'type', 'bridge'], options.netns);
  const [address, prefix] = options.address.split('/');
  const addrs = JSON.parse(await ip(['-j', 'addr', 'show', 'dev', options.name], options.netns)) as { addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[] }[];
  const family = address!.includes(':') ? 'inet6' : 'inet';
  const current = (addrs[0]?.addr_info ?? []).filter((a) => a.family === family && a.scope !== 'link');
  // The bridge is ours: an address of another range (an earlier cluster on this data dir)
  // would make the bridge plugin refuse every pod.
  for (const stale of current.filter((a) => !(a.local === address && String(a.prefixlen) === prefix))) {
    await ip(['addr', 'del', `${stale.local}/${stale.prefixlen}`, 'dev', options.name], options.netns);
  }
  if (!current.some((a) => a.local === address && String(a.prefixlen) === prefix)) await ip(['addr', 'add', options.address, 'dev', options.name], options.netns);
  await ip(['link', 'set', options.name, 'up'], options.netns);
}
