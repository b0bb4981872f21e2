/**
 * Zone-aware pacing of NoExecute tainting, after Kubernetes' node lifecycle controller: nodes
 * are grouped by topology zone; a zone where many nodes fail at once is more likely cut off
 * from the control plane than dead, so tainting (and so eviction) slows down or stops there,
 * and when every zone is fully down the controller assumes it is the one cut off and takes
 * the NoExecute taints away altogether.
 *
 * Simplified from Kubernetes: the rates are constants (its --node-eviction-rate 0.1/s,
 * --secondary-node-eviction-rate 0.01/s, --unhealthy-zone-threshold 0.55,
 * --large-cluster-size-threshold 50), a zone's bucket is one token (burst 1) refilled at the
 * zone's rate, and a node waiting for a token is looked at again when one is due rather than
 * queued in a per-zone FIFO.
 */

export const EVICTION_RATE = 0.1;
export const SECONDARY_EVICTION_RATE = 0.01;
export const UNHEALTHY_ZONE_THRESHOLD = 0.55;
export const LARGE_CLUSTER_THRESHOLD = 50;

export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

const ZONE_LABEL = 'topology.kubernetes.io/zone';
const REGION_LABEL = 'topology.kubernetes.io/region';

/** Kubernetes' zone key: region and zone, NUL-separated (both empty for unlabelled nodes). */
export function zoneOf(labels: Record<string, string> | undefined): string {
  return `${labels?.[REGION_LABEL] ?? ''}:\0:${labels?.[ZONE_LABEL] ?? ''}`;
}

/** Kubernetes' ComputeZoneState: full when none is ready, partial when more than 2 and ≥ 55 % are not. */
export function zoneState(ready: number, notReady: number): ZoneState {
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / (ready + notReady) >= UNHEALTHY_ZONE_THRESHOLD) return 'PartialDisruption';
  return 'Normal';
}

/** Tainting rate of a zone in a given state: partial disruption slows large zones, stops small ones. */
export function zoneRate(state: ZoneState, size: number): number {
  if (state !== 'PartialDisruption') return EVICTION_RATE;
  return size > LARGE_CLUSTER_THRESHOLD ? SECONDARY_EVICTION_RATE : 0;
}

export interface ZoneSummary {
  state: ZoneState;
  size: number;
}

/** Counts ready and not-ready nodes per zone. `isReady` is the node's Ready condition being True. */
export function summarizeZones<N>(nodes: N[], zone: (n: N) => string, isReady: (n: N) => boolean): Map<string, ZoneSummary> {
  const counts = new Map<string, { ready: number; notReady: number }>();
  for (const n of nodes) {
    const z = zone(n);
    let c = counts.get(z);
    if (!c) counts.set(z, (c = { ready: 0, notReady: 0 }));
    if (isReady(n)) c.ready++;
    else c.notReady++;
  }
  const out = new Map<string, ZoneSummary>();
  for (const [z, c] of counts) out.set(z, { state: zoneState(c.ready, c.notReady), size: c.ready + c.notReady });
  return out;
}

/** Every zone fully disrupted (and at least one zone): Kubernetes' "master disruption mode". */
export function allDisrupted(zones: Map<string, ZoneSummary>): boolean {
  if (zones.size === 0) return false;
  for (const z of zones.values()) if (z.state !== 'FullDisruption') return false;
  return true;
}

/** One token bucket per zone, burst 1. */
export class ZoneLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes the zone's token if there is one: 0. Otherwise the milliseconds until one is due, or
   * Infinity when the zone's rate is 0 (no tainting there until its state changes).
   */
  take(zone: string, rate: number): number {
    const now = this.now();
    let b = this.buckets.get(zone);
    if (!b) this.buckets.set(zone, (b = { tokens: 1, at: now }));
    b.tokens = Math.min(1, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    if (rate <= 0) return Infinity;
    return Math.ceil(((1 - b.tokens) / rate) * 1000);
  }
}
