/**
 * NetworkPolicy enforcement on one node (k3s runs kube-router's policy controller for this):
 * informer events only mark the state dirty; one sync, at most every `coalesceMs`, computes
 * every chain the node needs (rules.ts), writes those whose rules changed and deletes those no
 * longer wanted in one iptables-restore transaction, then makes sure the jumps from FORWARD
 * and OUTPUT come first (jumps.ts). The first sync (and a periodic one) rewrites everything
 * and also deletes TSK- policy chains an earlier run left behind. A failed sync is retried
 * with backoff, in full.
 *
 * Pod traffic crosses the node's bridge; with br_netfilter on (the agent sets
 * bridge-nf-call-iptables) packets between two pods of the bridge pass filter FORWARD, as do
 * packets from other nodes; the node's own packets to its pods pass OUTPUT. The jumps are
 * limited to packets that enter or leave through the bridge, so other traffic pays nothing.
 */
import type { KObject } from '../../api/types.ts';
import { logger } from '../../log/log.ts';
import { DEFAULT_BRIDGE_NAME } from '../cni.ts';
import type { Source } from '../dns/records.ts';
import { NetworkError } from '../errors.ts';
import type { Iptables } from '../iptables.ts';
import { namespaceLabels, podFingerprint, podInfo, policyInfo, type PodInfo } from './model.ts';
import { ensureJumpsFirst, removeJumps } from './jumps.ts';
import { desiredChains, isPolicyChain, type DesiredChains } from './rules.ts';

const log = logger('netpol');

/** The part of Iptables this uses (tests pass a recorder). */
export type PolicyIptables = Pick<Iptables, 'restore' | 'save' | 'chains' | 'ensureRule' | 'deleteRule'>;

export interface NetworkPolicyOptions {
  /** Only this node's pods are enforced here: their addresses are on this node's bridge. */
  nodeName: string;
  iptables: PolicyIptables;
  policies: Source<KObject>;
  pods: Source<KObject>;
  namespaces: Source<KObject>;
  /** The CNI bridge (default tsk0). */
  bridgeName?: string;
  /** The address family `iptables` programs (default 4); pods' other addresses are ignored. */
  family?: 4 | 6;
  /** How long events gather before one sync (default 100 ms). */
  coalesceMs?: number;
  /** A full rewrite this often, repairing rules someone else removed (default 5 min; 0: never). */
  resyncMs?: number;
}

export interface NetworkPolicyHandle {
  /** Settles after the first sync: resolves once the rules are in place, rejects when it failed (retries go on). */
  synced: Promise<void>;
  /**
   * Resolves once every event seen before the call is in the kernel (at once when nothing is
   * pending), or when the controller stops.
   */
  settled(): Promise<void>;
  /** Stops reacting to events (after a sync under way); the rules stay, as kube-router leaves them. */
  stop(): Promise<void>;
}

const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

export function startNetworkPolicy(options: NetworkPolicyOptions): NetworkPolicyHandle {
  const bridge = options.bridgeName ?? DEFAULT_BRIDGE_NAME;
  if (!INTERFACE_NAME.test(bridge)) throw new NetworkError('bad-bridge-name', `bridge name "${bridge}" is not a Linux interface name (1 to 15 of A-Z a-z 0-9 _ . -)`);
  const family = options.family ?? 4;
  const coalesceMs = options.coalesceMs ?? 100;
  const resyncMs = options.resyncMs ?? 300_000;
  const { iptables } = options;
  const applied = new Map<string, string>();
  let full = true;
  let stopped = false;
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let failures = 0;
  // Events counted, and the count the last good sync had seen: settled() waits on these.
  let wanted = 1;
  let done = 0;
  let waiters: { gen: number; resolve: () => void }[] = [];
  let settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  const synced = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
  synced.catch(() => undefined);

  const compute = (): DesiredChains => {
    const namespaces = new Map<string, Record<string, string>>();
    for (const ns of options.namespaces.list()) namespaces.set(ns.metadata.name ?? '', namespaceLabels(ns));
    const pods = options.pods.list().map((p) => podInfo(p, family)).filter((p): p is PodInfo => p !== undefined);
    return desiredChains({ pods, policies: options.policies.list().map(policyInfo), namespaces, nodeName: options.nodeName, family });
  };

  const sync = async (): Promise<void> => {
    const rewriteAll = full;
    const desired = compute();
    const previous = rewriteAll ? await iptables.chains('filter') : new Set(applied.keys());
    const stale = [...previous].filter((name) => isPolicyChain(name) && !desired.has(name));
    const changed = [...desired].filter(([name, lines]) => rewriteAll || applied.get(name) !== lines.join('\n'));
    if (changed.length > 0 || stale.length > 0) {
      const text = [
        ...changed.map(([name]) => `:${name} - [0:0]`),
        ...stale.map((name) => `:${name} - [0:0]`),
        ...changed.flatMap(([, lines]) => lines),
        ...stale.map((name) => `-X ${name}`),
      ].join('\n');
      // Whatever happens next, what is in the kernel is no longer known for sure.
      full = true;
      await iptables.restore('filter', text);
    }
    await ensureJumpsFirst(iptables, bridge);
    applied.clear();
    for (const [name, lines] of desired) applied.set(name, lines.join('\n'));
    full = false;
    log.debug(`synced: ${changed.length} chains written, ${stale.length} removed, ${desired.size} in place`);
  };

  const schedule = (delay: number) => {
    if (stopped || timer || running) return;
    timer = setTimeout(run, delay);
  };

  const run = () => {
    timer = undefined;
    dirty = false;
    const gen = wanted;
    running = sync().then(
      () => {
        failures = 0;
        done = gen;
        for (const w of waiters.filter((w) => w.gen <= done)) w.resolve();
        waiters = waiters.filter((w) => w.gen > done);
        settle?.resolve();
        settle = undefined;
      },
      (err: unknown) => {
        failures++;
        full = true;
        dirty = true;
        log.warn(`network policy sync failed (attempt ${failures}): ${(err as Error).message}`);
        settle?.reject(err);
        settle = undefined;
      },
    ).finally(() => {
      running = undefined;
      if (dirty) schedule(failures > 0 ? Math.min(30_000, 1000 * 2 ** (failures - 1)) : coalesceMs);
    });
  };

  const request = () => {
    wanted++;
    dirty = true;
    schedule(coalesceMs);
  };

  options.policies.onAdd(request);
  options.policies.onDelete(request);
  options.policies.onUpdate((a, b) => { if (JSON.stringify(a.spec) !== JSON.stringify(b.spec)) request(); });
  options.pods.onAdd(request);
  options.pods.onDelete(request);
  options.pods.onUpdate((a, b) => { if (podFingerprint(a) !== podFingerprint(b)) request(); });
  options.namespaces.onAdd(request);
  options.namespaces.onDelete(request);
  options.namespaces.onUpdate((a, b) => { if (JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {})) request(); });

  const resync = resyncMs > 0 ? setInterval(() => { full = true; request(); }, resyncMs) : undefined;
  resync?.unref();
  dirty = true;
  schedule(0);

  return {
    synced,
    settled() {
      if (done >= wanted || stopped) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ gen: wanted, resolve }));
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (resync) clearInterval(resync);
      await running;
      for (const w of waiters) w.resolve();
      waiters = [];
    },
  };
}

/** Uninstall: every jump into TSK-NWPLCY (whatever bridge it names), then every TSK- policy chain. */
export async function removeNetworkPolicyRules(iptables: PolicyIptables): Promise<void> {
  await removeJumps(iptables);
  const doomed = [...(await iptables.chains('filter'))].filter(isPolicyChain);
  if (doomed.length === 0) return;
  await iptables.restore('filter', [...doomed.map((name) => `:${name} - [0:0]`), ...doomed.map((name) => `-X ${name}`)].join('\n'));
}
