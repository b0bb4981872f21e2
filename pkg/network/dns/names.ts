/**
 * Name helpers shared by the record index and the resolver. DNS names compare case-insensitively
 * and are kept here lower-case without the trailing dot, as dns-packet decodes them.
 */
import net from 'node:net';

export function normalize(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** True when `name` is `zone` or below it. */
export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The label an endpoint without a hostname is known by, as CoreDNS names it: 10-42-0-5, fd00--5. */
export function dashedIp(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** 10.42.0.5 from the label 10-42-0-5 (pod A records); undefined when it is no IPv4 or IPv6 address. */
export function undashIp(label: string): string | undefined {
  const v4 = label.replace(/-/g, '.');
  if (net.isIPv4(v4)) return v4;
  const v6 = label.replace(/-/g, ':');
  return net.isIPv6(v6) ? v6 : undefined;
}

function expandV6(ip: string): string {
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0')).join('');
}

/** The in-addr.arpa / ip6.arpa name of an address (a PTR query's name). */
export function reverseName(ip: string): string {
  if (net.isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${expandV6(ip).split('').reverse().join('.')}.ip6.arpa`;
}

/** The canonical address of a reverse name, or undefined when the name is not one whole address. */
export function addressOfReverse(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const ip = name.slice(0, -'.in-addr.arpa'.length).split('.').reverse().join('.');
    return net.isIPv4(ip) ? ip : undefined;
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.').reverse();
    if (nibbles.length !== 32 || !nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4).join(''));
    return canonicalIp(groups.join(':'));
  }
  return undefined;
}

/** One spelling per address, so that PTR lookups find what Services and EndpointSlices list. */
export function canonicalIp(ip: string): string {
  if (!net.isIPv6(ip)) return ip;
  return expandV6(ip.toLowerCase()).match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, '')).join(':');
}
