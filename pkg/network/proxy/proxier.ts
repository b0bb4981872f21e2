/**
 * The service proxy (kube-proxy's iptables mode): Services and EndpointSlices in, nat and
 * filter rules out. Informer events only bump a generation and arm a short timer, so a burst
 * of events costs one sync. Each sync recomputes every chain's rules (a pure function, cheap)
 * and hands iptables-restore only the chains whose rules differ from what it last wrote, plus
 * the chains that are no longer wanted; nothing at all when nothing changed.
 *
 * A full sync (every chain written, stale TSK- proxy chains from an earlier run deleted, jumps
 * from the built-in chains checked) runs at start, after any failure (retried with backoff)
 * and once an hour, in case someone flushed the tables under us. stop() leaves the rules in
 * place: pods keep reaching Services while the agent restarts, as with kube-proxy.
 */
import type { KObject } from '../../api/types.ts';
import { logger } from '../../log/log.ts';
import type { Source } from '../dns/records.ts';
import { NetworkError } from '../errors.ts';
import { parseCidr } from '../cidr.ts';
import { staleUdpFlows, type FlowCleaner } from './conntrack.ts';
import { ensureJumps, proxyChainsIn, type ProxyIptables } from './jumps.ts';
import { servicePorts, type ServicePort } from './model.ts';
import { renderRules, type Chains, type RenderCache } from './rules.ts';

const log = logger('proxy');

export interface ServiceProxyOptions {
  services: Source<KObject>;
  endpointSlices: Source<KObject>;
  /** This node's name: endpoints whose nodeName matches are "local" for Local traffic policies. */
  nodeName: string;
  /** The pod range (--cluster-cidr); its family is the proxy's, and the Iptables' must match. */
  clusterCidr: string;
  iptables: ProxyIptables;
  /**
   * Clears UDP conntrack entries that would keep going to removed endpoints (the agent passes
   * `new Conntrack()`; tests one for their namespace). Without it such flows last until idle.
   */
  conntrack?: FlowCleaner;
  /** Program status.loadBalancer.ingress IPs (ServiceLB's node addresses). Default true. */
  serveLoadBalancerIPs?: boolean;
  /** How long after an event the sync starts; events meanwhile join it. Default 30 ms. */
  debounceMs?: number;
  /** Between full syncs. Default one hour. */
  fullSyncIntervalMs?: number;
  /** First retry delay after a failed sync, doubled each failure up to retryMaxMs. Defaults 1 s, 30 s. */
  retryMs?: number;
  retryMaxMs?: number;
}

export interface SyncInfo {
  /** Date.now() when the sync finished. */
  at: number;
  durationMs: number;
  /** Chains written or deleted (0: nothing had changed, iptables was not called). */
  changedChains: number;
  full: boolean;
}

export interface ServiceProxy {
  /** The first full sync is done (rejects if stop() comes first). */
  readonly synced: Promise<void>;
  lastSync(): SyncInfo | undefined;
  /** Resolves once every event seen so far is in iptables (and stale UDP flows are cleared). */
  flushed(): Promise<void>;
  /** Stops syncing; the rules stay. */
  stop(): Promise<void>;
}

const TABLES = ['nat', 'filter'] as const;
type ProxyTable = (typeof TABLES)[number];

function familyOf(cidr: string): 4 | 6 {
  const range = parseCidr(cidr);
  if (!range) throw new NetworkError('bad-pod-cidr', `cluster CIDR "${cidr}" is not an IP range`);
  return range.family;
}

class Proxier implements ServiceProxy {
  readonly synced: Promise<void>;
  private resolveSynced!: () => void;
  private rejectSynced!: (err: Error) => void;
  private readonly family: 4 | 6;
  private readonly debounceMs: number;
  /** What iptables holds, as last written: chain → its rules. */
  private written: Record<ProxyTable, Chains> = { nat: new Map(), filter: new Map() };
  private readonly cache: RenderCache = new Map();
  /** The service ports of the last successful sync (what the conntrack cleanup compares with). */
  private ports: ServicePort[] = [];
  private needFull = true;
  private generation = 0;
  private syncedGeneration = -1;
  private failures = 0;
  private lastError: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private last: SyncInfo | undefined;
  private waiters: { generation: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly fullSyncTimer: NodeJS.Timeout;

  constructor(private readonly options: ServiceProxyOptions) {
    this.family = familyOf(options.clusterCidr);
    this.debounceMs = options.debounceMs ?? 30;
    this.synced = new Promise((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Callers that never await it must not see an unhandled rejection when stopped early.
    this.synced.catch(() => undefined);
    const changed = () => this.changed();
    for (const source of [options.services, options.endpointSlices]) {
      source.onAdd(changed);
      source.onUpdate(changed);
      source.onDelete(changed);
    }
    this.fullSyncTimer = setInterval(() => {
      this.needFull = true;
      this.changed();
    }, options.fullSyncIntervalMs ?? 3_600_000).unref();
    this.changed();
  }

  lastSync(): SyncInfo | undefined {
    return this.last;
  }

  flushed(): Promise<void> {
    if (this.stopped) return Promise.reject(new NetworkError('iptables-failed', 'service proxy stopped'));
    if (this.syncedGeneration >= this.generation) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ generation: this.generation, resolve, reject }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.fullSyncTimer);
    this.timer = undefined;
    await this.running;
    const err = new NetworkError('iptables-failed', `service proxy stopped before syncing${this.lastError ? ` (last error: ${this.lastError.message})` : ''}`);
    if (this.syncedGeneration < 0) this.rejectSynced(err);
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private changed(): void {
    this.generation++;
    this.schedule(this.debounceMs);
  }

  /** Arms the timer unless one is armed or a sync runs (that sync reschedules when it ends). */
  private schedule(delayMs: number): void {
    if (this.stopped || this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.run().finally(() => {
        this.running = undefined;
        if (this.generation > this.syncedGeneration) this.schedule(this.failures > 0 ? this.retryDelay() : this.debounceMs);
      });
    }, delayMs);
  }

  private retryDelay(): number {
    const first = this.options.retryMs ?? 1000;
    return Math.min(first * 2 ** (this.failures - 1), this.options.retryMaxMs ?? 30_000);
  }

  private async run(): Promise<void> {
    const generation = this.generation;
    const full = this.needFull;
    const started = performance.now();
    try {
      const { changedChains, ports } = await this.sync(full);
      const durationMs = performance.now() - started;
      this.last = { at: Date.now(), durationMs, changedChains, full };
      if (this.failures > 0) log.info(`service proxy rules in place again after ${this.failures} failed sync(s)`);
      if (this.syncedGeneration < 0) log.info(`service proxy synced: ${changedChains} chains in ${durationMs.toFixed(0)} ms`);
      this.failures = 0;
      this.needFull = false;
      this.syncedGeneration = generation;
      this.resolveSynced();
      const before = this.ports;
      this.ports = ports;
      const stale = this.options.conntrack ? staleUdpFlows(before, ports, this.family) : [];
      if (stale.length > 0) await this.options.conntrack!.deleteFlows(stale);
      this.waiters = this.waiters.filter((w) => (w.generation <= generation ? (w.resolve(), false) : true));
    } catch (err) {
      this.failures++;
      this.lastError = err as Error;
      this.needFull = true;
      this.written = { nat: new Map(), filter: new Map() };
      log.warn(`service proxy sync failed (attempt ${this.failures}), full sync in ${this.retryDelay()} ms: ${(err as Error).message}`);
    }
  }

  /** Writes what changed; returns how many chains were written or deleted. */
  private async sync(full: boolean): Promise<{ changedChains: number; ports: ServicePort[] }> {
    const { options } = this;
    const ports = servicePorts(options.services.list(), options.endpointSlices.list(), {
      nodeName: options.nodeName,
      family: this.family,
      serveLoadBalancerIPs: options.serveLoadBalancerIPs ?? true,
    });
    const desired = renderRules(ports, { clusterCidr: options.clusterCidr, family: this.family }, this.cache);
    let changed = 0;
    // nat first: a Service that gains endpoints is DNATed before its REJECT goes.
    for (const table of TABLES) changed += await this.syncTable(table, desired[table], full);
    if (full) await ensureJumps(options.iptables);
    return { changedChains: changed, ports };
  }

  private async syncTable(table: ProxyTable, chains: Chains, full: boolean): Promise<number> {
    const previous = this.written[table];
    const existing = full ? proxyChainsIn(await this.options.iptables.save(table), table) : [...previous.keys()];
    const gone = existing.filter((name) => !chains.has(name));
    const write = [...chains.keys()].filter((name) => full || !sameRules(previous.get(name), chains.get(name)!));
    if (write.length + gone.length === 0) return 0;
    const lines = [
      ...[...write, ...gone].map((name) => `:${name} - [0:0]`),
      ...write.flatMap((name) => chains.get(name)!),
      ...gone.map((name) => `-X ${name}`),
    ];
    await this.options.iptables.restore(table, lines.join('\n'));
    this.written[table] = chains;
    return write.length + gone.length;
  }
}

/** Unchanged service ports' chains are the very arrays written last time (see RenderCache). */
function sameRules(before: string[] | undefined, now: string[]): boolean {
  return before === now || (before !== undefined && before.length === now.length && before.every((rule, i) => rule === now[i]));
}

/** Starts syncing at once; await `synced` for the first full sync. */
export function startServiceProxy(options: ServiceProxyOptions): ServiceProxy {
  return new Proxier(options);
}

export { removeServiceProxyRules } from './jumps.ts';
export { Conntrack } from './conntrack.ts';
