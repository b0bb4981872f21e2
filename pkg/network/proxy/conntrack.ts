/**
 * UDP has no connection to end, so conntrack keeps NATing a UDP flow the way its first packet
 * went for as long as packets keep coming (30 s idle, 120 s once both sides talked): to an
 * endpoint that is gone, or past a Service that had no endpoint then (those packets were never
 * DNATed). kube-proxy deletes such entries after each sync; so does this, with the conntrack
 * tool (Debian package conntrack) when it is installed, as kube-proxy did before it spoke
 * netlink itself. TCP needs none of this: a dead endpoint's connections get a reset.
 */
import { spawn } from 'node:child_process';
import { logger } from '../../log/log.ts';
import type { ServicePort } from './model.ts';
import { categorize } from './rules.ts';

const log = logger('proxy');

/** Deletes conntrack entries: each filter is a `conntrack -D` argument list. */
export interface FlowCleaner {
  deleteFlows(filters: string[][]): Promise<void>;
}

function key(sp: ServicePort): string {
  return `${sp.id}/${sp.protocol}`;
}

/** Service addresses of a port: cluster IP, external IPs, LoadBalancer IPs. */
function addresses(sp: ServicePort): string[] {
  return [sp.clusterIP, ...sp.externalIPs, ...sp.loadBalancerIPs];
}

/**
 * What to delete after the rules went from `before` to `after`: flows to the addresses (and
 * NodePort) of a UDP service port that just got endpoints, and flows DNATed to an endpoint that
 * a port no longer uses.
 */
export function staleUdpFlows(before: ServicePort[], after: ServicePort[], family: 4 | 6): string[][] {
  const base = ['-f', family === 4 ? 'ipv4' : 'ipv6', '-p', 'udp'];
  const previous = new Map(before.filter((sp) => sp.protocol === 'UDP').map((sp) => [key(sp), sp]));
  const filters: string[][] = [];
  const removed = (sp: ServicePort, ips: Iterable<string>) => {
    for (const ip of ips) {
      for (const address of addresses(sp)) filters.push([...base, '--orig-dst', address, '--orig-port-dst', String(sp.port), '--dst-nat', ip]);
      if (sp.nodePort > 0) filters.push([...base, '--orig-port-dst', String(sp.nodePort), '--dst-nat', ip]);
    }
  };
  for (const sp of after) {
    if (sp.protocol !== 'UDP') continue;
    const old = previous.get(key(sp));
    previous.delete(key(sp));
    const now = categorize(sp);
    const was = old ? categorize(old) : undefined;
    if (now.hasEndpoints && !was?.hasEndpoints) {
      for (const address of addresses(sp)) filters.push([...base, '--orig-dst', address, '--orig-port-dst', String(sp.port)]);
      if (sp.nodePort > 0) filters.push([...base, '--orig-port-dst', String(sp.nodePort)]);
    }
    if (old && was) {
      const kept = new Set(now.reachable.map((e) => e.ip));
      // The old addresses and NodePort: a changed cluster IP's old flows go too.
      removed(old, new Set(was.reachable.map((e) => e.ip).filter((ip) => !kept.has(ip))));
    }
  }
  // Ports that went away with their Service.
  for (const old of previous.values()) removed(old, new Set(categorize(old).reachable.map((e) => e.ip)));
  return filters;
}

/** The conntrack tool, in this process's network namespace or a named one (tests). */
export class Conntrack implements FlowCleaner {
  private missing = false;

  constructor(private readonly options: { netns?: string } = {}) {}

  async deleteFlows(filters: string[][]): Promise<void> {
    for (const filter of filters) {
      if (this.missing) return;
      await this.run(filter);
    }
  }

  private run(filter: string[]): Promise<void> {
    const argv = [...(this.options.netns ? ['ip', 'netns', 'exec', this.options.netns] : []), 'conntrack', '-D', ...filter];
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('error', (err) => {
        this.missing = true;
        log.warn(`conntrack tool not usable (${err.message}): UDP flows to removed endpoints stay until idle; install it (Debian package conntrack)`);
        resolve();
      });
      child.on('close', (code) => {
        // 127: `ip netns exec` found no conntrack; "0 flow entries" (exit 1 on some versions) is no failure.
        if (code === 127) {
          this.missing = true;
          log.warn('conntrack tool not found: UDP flows to removed endpoints stay until idle; install it (Debian package conntrack)');
        } else if (code !== 0 && !/0 flow entries/.test(stderr)) {
          log.warn(`conntrack -D ${filter.join(' ')}: ${stderr.trim().split('\n')[0] || `exit ${code}`}`);
        }
        resolve();
      });
    });
  }
}
