/**
 * Cluster DNS as the agent runs it, in one call: a record index over the informers, a resolver
 * forwarding other names to the node's resolvers, and a UDP+TCP server on each listen address
 * (the node's bridge gateway, say 10.42.0.1:53, that a kube-dns Service then points at).
 */
import net from 'node:net';
import { logger } from '../../log/log.ts';
import { DnsError } from './errors.ts';
import { Forwarder, parseUpstream, type Upstream } from './forward.ts';
import { RecordIndex, type ClusterSources } from './records.ts';
import { Resolver } from './resolver.ts';
import { DnsServer } from './server.ts';

const log = logger('dns');

export interface ListenAddress { host: string; port: number }

export interface ClusterDnsOptions {
  sources: ClusterSources;
  /** The cluster domain, e.g. cluster.local (--cluster-domain). */
  zone: string;
  listen: ListenAddress[];
  /**
   * The node's resolvers as "ip" or "ip:port": hostResolvConf().servers (pkg/kubelet/pods/dns.ts,
   * which already swaps systemd-resolved's stub for its upstreams). See usableUpstreams for
   * what is left out. With none left, names outside the cluster answer REFUSED.
   */
  upstreams: string[];
  /** TTL of cluster records; CoreDNS's default 5 s. */
  ttl?: number;
  upstreamTimeoutMs?: number;
  /**
   * When set, a listen address not on this host yet — the bridge gateway exists only once the
   * first pod's CNI ADD made the bridge — is tried again this often instead of failing the
   * start; addresses() tells what is served. Other bind errors always fail the start.
   */
  retryUnavailableMs?: number;
}

export interface ClusterDns {
  /** The addresses served now (with the port picked when 0 was asked). */
  addresses(): ListenAddress[];
  readonly index: RecordIndex;
  stop(): Promise<void>;
}

const show = (u: ListenAddress) => (net.isIPv6(u.host) ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`);

/**
 * The upstreams worth forwarding to: IP addresses (fe80::1%eth0 included) that are not one of
 * our own listen addresses, which would loop; each once.
 */
export function usableUpstreams(upstreams: string[], listen: ListenAddress[]): { servers: Upstream[]; skipped: string[] } {
  const servers: Upstream[] = [];
  const skipped: string[] = [];
  for (const spec of upstreams) {
    let up: Upstream;
    try {
      up = parseUpstream(spec);
    } catch (err) {
      skipped.push(`${spec} (${(err as Error).message})`);
      continue;
    }
    if (listen.some((l) => l.host === up.host && l.port === up.port)) skipped.push(`${spec} (that is this server: it would loop)`);
    else if (!servers.some((s) => s.host === up.host && s.port === up.port)) servers.push(up);
  }
  return { servers, skipped };
}

function unavailable(err: unknown): boolean {
  return err instanceof DnsError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'EADDRNOTAVAIL';
}

export async function startClusterDns(options: ClusterDnsOptions): Promise<ClusterDns> {
  const index = new RecordIndex(options.sources, options.zone);
  const { servers, skipped } = usableUpstreams(options.upstreams, options.listen);
  for (const s of skipped) log.warn(`cluster DNS: upstream ${s} left out`);
  if (servers.length === 0) log.warn('cluster DNS: no upstream resolver: names outside the cluster will be refused');
  const forwarder = servers.length ? new Forwarder({ servers: servers.map(show), timeoutMs: options.upstreamTimeoutMs }) : undefined;
  const bound: { address: ListenAddress; server: DnsServer }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const nameservers = () => bound.map((b) => b.address.host).filter((h) => h !== '0.0.0.0' && h !== '::');
  const resolver = new Resolver({ index, forwarder, ttl: options.ttl, nameservers });

  const stop = async () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    await Promise.all(bound.map((b) => b.server.stop()));
    bound.length = 0;
    forwarder?.close();
  };

  const bind = async (want: ListenAddress) => {
    const server = new DnsServer({ resolver, host: want.host, port: want.port });
    const address = await server.start();
    if (stopped) return server.stop();
    bound.push({ address, server });
  };

  const retry = (want: ListenAddress, ms: number, lastError: string) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      bind(want).then(
        () => { if (!stopped) log.info(`cluster DNS: now serving on ${show(want)}`); },
        (err: Error) => {
          if (stopped) return;
          if (err.message !== lastError) log.warn(`cluster DNS: ${err.message}; trying again every ${ms} ms`);
          retry(want, ms, err.message);
        },
      );
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  for (const want of options.listen) {
    try {
      await bind(want);
    } catch (err) {
      if (options.retryUnavailableMs && unavailable(err)) {
        log.warn(`cluster DNS: ${(err as Error).message}; trying again every ${options.retryUnavailableMs} ms`);
        retry(want, options.retryUnavailableMs, (err as Error).message);
        continue;
      }
      await stop();
      throw err;
    }
  }
  const upstreamText = servers.length ? servers.map(show).join(', ') : 'none';
  log.info(`cluster DNS for ${index.zone} on ${bound.map((b) => show(b.address)).join(', ') || '(waiting for its addresses)'}, upstreams ${upstreamText}`);
  return {
    addresses: () => bound.map((b) => ({ ...b.address })),
    index,
    stop,
  };
}
