/**
 * The address a node's bridge holds in its podCIDR: the range's first address, which
 * host-local hands out as the pods' gateway when none is configured. The node's DNS server
 * listens there, so every pod of the node reaches it without leaving the bridge.
 */
import net from 'node:net';

function v4(address: string): bigint {
  return address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6(address: string): bigint {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

function format(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  // The shortest form: the longest run of zero groups becomes '::'.
  const text = groups.join(':');
  const runs = [...text.matchAll(/(?:^|:)(?:0(?::|$)){2,}/g)].sort((a, b) => b[0].length - a[0].length);
  if (runs.length === 0) return text;
  const run = runs[0]!;
  return `${text.slice(0, run.index)}::${text.slice(run.index! + run[0].length)}`;
}

/** The first address of `cidr` (network address + 1); undefined when it is not a usable range. */
export function gatewayOf(cidr: string): string | undefined {
  const [address, prefix] = cidr.split('/');
  const family = net.isIP(address ?? '');
  const bits = Number(prefix);
  if ((family !== 4 && family !== 6) || !/^\d+$/.test(prefix ?? '')) return undefined;
  const width = family === 4 ? 32 : 128;
  if (bits > width - 2) return undefined;
  const value = family === 4 ? v4(address!) : v6(address!);
  const hostBits = BigInt(width - bits);
  const network = (value >> hostBits) << hostBits;
  return format(network + 1n, family);
}
