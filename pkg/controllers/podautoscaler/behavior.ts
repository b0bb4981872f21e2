/**
 * What turns a metric's recommendation into the size the HPA sets, as kube-controller-manager
 * does: recommendations of the recent past hold a scale-down back (the stabilization window,
 * 300 s by default) and, with spec.behavior, a scale-up too; the rate is limited by the
 * behavior's policies over the scale events of their periods (selectPolicy Max, Min or
 * Disabled), or without a behavior by the old rule (at most double, at least 4, per step).
 * The history lives in memory per HPA key, like upstream's: a restart forgets it.
 */

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

/** A condition's status, reason and message as normalization decides them. */
export interface Verdict {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export interface Normalized {
  replicas: number;
  /** AbleToScale (always True here). */
  ableToScale: Verdict;
  scalingLimited: Verdict;
}

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
}

/** The old scale-up rule: at most this factor of the current size, but always up to the minimum. */
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

const SCALE_UP_DEFAULT: Required<ScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const SCALE_DOWN_DEFAULT: Omit<Required<ScalingRules>, 'stabilizationWindowSeconds'> = {
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

const READY: Verdict = { status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const DOWN_STABILIZED: Verdict = {
  status: 'True',
  reason: 'ScaleDownStabilized',
  message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
};
const UP_STABILIZED: Verdict = {
  status: 'True',
  reason: 'ScaleUpStabilized',
  message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
};
const WITHIN: Omit<Verdict, 'status'> = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const UP_LIMIT = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const TOO_MANY = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const DOWN_LIMIT = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };
const TOO_FEW = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };

function limited(replicas: number, stabilized: number, why: { reason: string; message: string }): Verdict {
  return { status: replicas === stabilized ? 'False' : 'True', ...why };
}

export class ScaleHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly upEvents = new Map<string, ScaleEvent[]>();
  private readonly downEvents = new Map<string, ScaleEvent[]>();

  /** `downscaleStabilizationMs`: --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  constructor(private readonly downscaleStabilizationMs = 300_000) {}

  /** The first look at an HPA counts its current size as a recommendation. */
  recordInitial(key: string, current: number, now: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: current, at: now }]);
  }

  forget(key: string): void {
    this.recommendations.delete(key);
    this.upEvents.delete(key);
    this.downEvents.delete(key);
  }

  /** Without spec.behavior: the highest recommendation of the window, then the old rate rule. */
  normalize(key: string, current: number, desired: number, min: number, max: number, now: number): Normalized {
    const cutoff = now - this.downscaleStabilizationMs;
    let stabilized = desired;
    const recs = this.recommendations.get(key) ?? [];
    for (const r of recs) if (r.at >= cutoff && r.replicas > stabilized) stabilized = r.replicas;
    this.record(key, desired, now, (r) => r.at < cutoff);
    const ableToScale = stabilized !== desired ? DOWN_STABILIZED : READY;
    const scaleUpLimit = Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
    const upper = max > scaleUpLimit ? { limit: scaleUpLimit, why: UP_LIMIT } : { limit: max, why: TOO_MANY };
    let replicas = stabilized;
    let why: { reason: string; message: string } = WITHIN;
    if (stabilized < min) [replicas, why] = [min, TOO_FEW];
    else if (stabilized > upper.limit) [replicas, why] = [upper.limit, upper.why];
    return { replicas, ableToScale, scalingLimited: limited(replicas, stabilized, why) };
  }

  /** With spec.behavior: windows both ways, then the policies' rate limits. */
  normalizeWithBehavior(key: string, behavior: Behavior, current: number, desired: number, min: number, max: number, now: number): Normalized {
    const up = { ...SCALE_UP_DEFAULT, ...stripUndefined(behavior.scaleUp) };
    const down = { ...SCALE_DOWN_DEFAULT, stabilizationWindowSeconds: this.downscaleStabilizationMs / 1000, ...stripUndefined(behavior.scaleDown) };
    const upCutoff = now - up.stabilizationWindowSeconds * 1000;
    const downCutoff = now - down.stabilizationWindowSeconds * 1000;
    let upRecommendation = desired;
    let downRecommendation = desired;
    for (const r of this.recommendations.get(key) ?? []) {
      if (r.at > upCutoff) upRecommendation = Math.min(r.replicas, upRecommendation);
      if (r.at > downCutoff) downRecommendation = Math.max(r.replicas, downRecommendation);
    }
    this.record(key, desired, now, (r) => r.at < upCutoff && r.at < downCutoff);
    const stabilized = Math.min(Math.max(current, upRecommendation), downRecommendation);
    const ableToScale = stabilized === desired ? READY : desired >= current ? UP_STABILIZED : DOWN_STABILIZED;

    const ups = this.upEvents.get(key) ?? [];
    const downs = this.downEvents.get(key) ?? [];
    let replicas = stabilized;
    let why: { reason: string; message: string } = WITHIN;
    if (stabilized > current) {
      const limit = Math.max(scaleUpLimit(current, ups, downs, up, now), current);
      const upper = max > limit ? { limit, why: UP_LIMIT } : { limit: max, why: TOO_MANY };
      if (stabilized > upper.limit) [replicas, why] = [upper.limit, upper.why];
    } else if (stabilized < current) {
      const limit = Math.min(scaleDownLimit(current, ups, downs, down, now), current);
      const lower = min < limit ? { limit, why: DOWN_LIMIT } : { limit: min, why: TOO_FEW };
      if (stabilized < lower.limit) [replicas, why] = [lower.limit, lower.why];
    }
    return { replicas, ableToScale, scalingLimited: limited(replicas, stabilized, why) };
  }

  /** Remembers a rescale for the policies' periods (only an HPA with a behavior uses them). */
  recordScale(key: string, behavior: Behavior | undefined, from: number, to: number, now: number): void {
    if (!behavior || from === to) return;
    const rules = to > from ? { ...SCALE_UP_DEFAULT, ...stripUndefined(behavior.scaleUp) } : { ...SCALE_DOWN_DEFAULT, ...stripUndefined(behavior.scaleDown) };
    const events = to > from ? this.upEvents : this.downEvents;
    const longest = Math.max(0, ...rules.policies.map((p) => p.periodSeconds)) * 1000;
    const kept = (events.get(key) ?? []).filter((e) => e.at > now - longest);
    kept.push({ change: Math.abs(to - from), at: now });
    events.set(key, kept);
  }

  /** Appends a recommendation, reusing one slot that fell out of every window. */
  private record(key: string, replicas: number, now: number, old: (r: Recommendation) => boolean): void {
    const recs = this.recommendations.get(key) ?? [];
    const i = recs.findIndex(old);
    if (i >= 0) recs[i] = { replicas, at: now };
    else recs.push({ replicas, at: now });
    this.recommendations.set(key, recs);
  }
}

function stripUndefined<T extends object>(rules: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(rules ?? {}).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((sum, e) => (e.at > cutoff ? sum + e.change : sum), 0);
}

/** The size the policies allow at most now: from the size at each period's start. */
function scaleUpLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: Required<ScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(p.periodSeconds, ups, now) + changeInPeriod(p.periodSeconds, downs, now);
    // Rounded up: a small percentage of a small size must still allow one more pod.
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** The size the policies allow at least now. */
function scaleDownLimit(current: number, ups: ScaleEvent[], downs: ScaleEvent[], rules: Required<ScalingRules>, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(p.periodSeconds, ups, now) + changeInPeriod(p.periodSeconds, downs, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}
