/**
 * Scrapes of each node's kubelet, kept in memory two at a time (metrics-server keeps the last
 * two per node too), taken on demand instead of on a timer so that an idle cluster pays
 * nothing: a request reuses the pair while its later scrape is younger than the resolution
 * (15 s, metrics-server's default); after that one new scrape slides the pair on. When there is
 * no earlier scrape to pair with, it is too old to make a meaningful window, or the new scrape
 * shows containers the earlier one did not, a second scrape follows a moment later (1 s) so
 * that fresh nodes and pods get figures at once. A node that failed is not asked again within
 * the resolution; it has no figures meanwhile (metrics-server drops it too).
 */
import { logger } from '../../log/log.ts';
import type { NodeScrape } from './decode.ts';
import type { ScrapePair } from './usage.ts';

const log = logger('metrics');

export interface SourceOptions {
  scrape(node: string): Promise<NodeScrape>;
  resolutionMs?: number;
  /** The longest window a sliding pair may span before a fresh pair is taken. */
  maxWindowMs?: number;
  /** The pause between the two scrapes of a fresh pair. */
  shortWindowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface NodeState {
  pair?: ScrapePair;
  /** When `pair.last` (or the last failure) was taken. */
  at: number;
  failed: boolean;
  pending?: Promise<ScrapePair | undefined>;
}

/** Nodes not asked about for this long are forgotten (deleted nodes, mostly). */
const FORGET_AFTER_MS = 10 * 60_000;

function containerKeys(s: NodeScrape): Set<string> {
  const keys = new Set<string>();
  for (const [pod, containers] of s.pods) for (const name of containers.keys()) keys.add(`${pod}/${name}`);
  return keys;
}

export class ResourceMetricsSource {
  private readonly nodes = new Map<string, NodeState>();
  private readonly resolutionMs: number;
  private readonly maxWindowMs: number;
  private readonly shortWindowMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: SourceOptions) {
    this.resolutionMs = options.resolutionMs ?? 15_000;
    this.maxWindowMs = options.maxWindowMs ?? 60_000;
    this.shortWindowMs = options.shortWindowMs ?? 1_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The node's two latest scrapes, or undefined when its kubelet gives none. */
  pair(node: string): Promise<ScrapePair | undefined> {
    this.forgetIdle();
    let state = this.nodes.get(node);
    if (!state) {
      state = { at: 0, failed: false };
      this.nodes.set(node, state);
    }
    if (state.pending) return state.pending;
    if (this.now() - state.at < this.resolutionMs && (state.pair || state.failed)) return Promise.resolve(state.pair);
    const s = state;
    s.pending = this.refresh(node, s).finally(() => (s.pending = undefined));
    return s.pending;
  }

  private async refresh(node: string, state: NodeState): Promise<ScrapePair | undefined> {
    try {
      const first = await this.options.scrape(node);
      const at = this.now();
      const earlier = state.pair?.last;
      const known = earlier ? containerKeys(earlier) : new Set<string>();
      const slides = earlier && !state.failed && at - state.at <= this.maxWindowMs && [...containerKeys(first)].every((k) => known.has(k));
      if (slides) {
        state.pair = { prev: earlier, last: first };
      } else {
        await this.sleep(this.shortWindowMs);
        state.pair = { prev: first, last: await this.options.scrape(node) };
      }
      state.failed = false;
    } catch (err) {
      log.debug(`node ${node}: no resource metrics: ${(err as Error).message}`);
      state.pair = undefined;
      state.failed = true;
    }
    state.at = this.now();
    return state.pair;
  }

  private forgetIdle(): void {
    const now = this.now();
    for (const [node, state] of this.nodes) if (!state.pending && now - state.at > FORGET_AFTER_MS) this.nodes.delete(node);
  }
}
