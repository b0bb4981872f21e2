/**
 * A pod's resolv.conf as Kubernetes builds it from dnsPolicy: ClusterFirst points at the
 * cluster DNS with the namespace's search path and ndots:5; Default (and ClusterFirst on the
 * host network) inherits the node's; None takes only the pod's dnsConfig, which every policy
 * merges in last.
 */
import fs from 'node:fs';
import type { KObject } from '../../api/types.ts';
import type { DNSConfig } from '../runtime.ts';

export interface ClusterDns {
  /** Cluster DNS service addresses; empty: ClusterFirst falls back to the node's resolver. */
  servers: string[];
  domain: string;
}

const MAX_SEARCHES = 32;

/** Nameservers, search domains and options of a resolv.conf text. */
export function parseResolvConf(text: string): DNSConfig {
  const out: DNSConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const [word, ...rest] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (word === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (word === 'search' || word === 'domain') out.searches = rest.filter(Boolean);
    else if (word === 'options') out.options.push(...rest.filter(Boolean));
  }
  return out;
}

const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1';

/**
 * The node's resolver as pods can use it: a stub on loopback (systemd-resolved's 127.0.0.53)
 * is unreachable from a pod's network namespace, so the upstream file is read instead, as k3s does.
 */
export function hostResolvConf(file = '/etc/resolv.conf'): DNSConfig {
  const read = (f: string) => {
    try {
      return parseResolvConf(fs.readFileSync(f, 'utf8'));
    } catch {
      return { servers: [], searches: [], options: [] };
    }
  };
  const conf = read(file);
  if (conf.servers.length > 0 && conf.servers.every(isLoopback)) {
    const upstream = read('/run/systemd/resolve/resolv.conf');
    if (upstream.servers.length > 0) return upstream;
  }
  return conf;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Options merge by name ("ndots:2" replaces "ndots:5"), the later ones winning. */
function mergeOptions(base: string[], extra: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...extra]) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}

export function podDnsConfig(pod: KObject, cluster: ClusterDns, host: DNSConfig): DNSConfig {
  const spec = pod.spec ?? {};
  let policy = (spec.dnsPolicy as string | undefined) ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if (policy === 'ClusterFirst' && cluster.servers.length === 0) policy = 'Default';
  let base: DNSConfig;
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (policy === 'Default') base = host;
  else {
    const ns = pod.metadata.namespace;
    const d = cluster.domain;
    base = { servers: cluster.servers, searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...host.searches], options: ['ndots:5'] };
  }
  const own = (spec.dnsConfig ?? {}) as { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
  return {
    servers: unique([...base.servers, ...(own.nameservers ?? [])]),
    searches: unique([...base.searches, ...(own.searches ?? [])]).slice(0, MAX_SEARCHES),
    options: mergeOptions(base.options, (own.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name))),
  };
}
