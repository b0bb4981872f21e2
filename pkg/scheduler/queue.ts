/**
 * kube-scheduler's scheduling queue: an active heap (higher priority first, then older), a
 * backoff area (1 s doubling to 10 s per failed attempt) and an unschedulable pool. A pod that
 * did not fit waits in the pool until the cluster changes in a way that may help (a node
 * added or updated, a pod deleted: moveAllToActive) or five minutes pass; if the cluster
 * changed while the pod was being tried, it goes to backoff instead so the change is not missed.
 */
import { podKey, podPriority, type Pod } from './types.ts';

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Longest stay in the unschedulable pool without a cluster event (default 5 min). */
  maxUnschedulableMs?: number;
}

interface Entry {
  pod: Pod;
  key: string;
  /** When the pod was first queued (its place among equal priorities). */
  since: number;
  attempts: number;
  /** Backoff ends (ms since epoch). */
  backoffUntil: number;
  parkedAt: number;
}

export class SchedulingQueue {
  private readonly heap: Entry[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly where = new Map<string, 'active' | 'backoff' | 'unschedulable' | 'in-flight'>();
  private readonly backoffTimers = new Map<string, NodeJS.Timeout>();
  private waiter: (() => void) | undefined;
  private moveCycle = 0;
  private readonly flushTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: QueueOptions = {}) {
    this.flushTimer = setInterval(() => this.flushUnschedulable(), 30_000);
    this.flushTimer.unref();
  }

  get length(): number {
    return this.heap.length;
  }

  /**
   * A new or changed pending pod. A parked pod whose spec or labels changed is worth another
   * try (after its backoff); a status change (ours, recording the failure) is not.
   */
  add(pod: Pod): void {
    const key = podKey(pod);
    const entry = this.entries.get(key);
    if (entry) {
      const changed = schedulingFacts(entry.pod) !== schedulingFacts(pod);
      entry.pod = pod;
      if (changed && this.where.get(key) === 'unschedulable') this.activate(entry);
      return;
    }
    const created = Date.parse(pod.metadata.creationTimestamp ?? '') || Date.now();
    const fresh: Entry = { pod, key, since: created, attempts: 0, backoffUntil: 0, parkedAt: 0 };
    this.entries.set(key, fresh);
    this.push(fresh);
  }

  /** A pod whose binding failed: back in the queue, after a backoff. */
  requeue(pod: Pod): void {
    const key = podKey(pod);
    this.add(pod);
    const entry = this.entries.get(key)!;
    entry.attempts = Math.max(1, entry.attempts);
    entry.backoffUntil = Date.now() + this.backoffMs(entry.attempts);
    const i = this.heap.indexOf(entry);
    if (i >= 0) this.removeAt(i);
    this.backoff(entry);
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.where.delete(key);
    clearTimeout(this.backoffTimers.get(key));
    this.backoffTimers.delete(key);
    const i = this.heap.indexOf(entry);
    if (i >= 0) this.removeAt(i);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The next pod to try, waiting for one; undefined once closed. */
  async pop(): Promise<{ pod: Pod; cycle: number } | undefined> {
    while (!this.closed && this.heap.length === 0) await new Promise<void>((r) => (this.waiter = r));
    if (this.closed) return undefined;
    const entry = this.removeAt(0);
    entry.attempts++;
    this.where.set(entry.key, 'in-flight');
    return { pod: entry.pod, cycle: this.moveCycle };
  }

  /** The pod was placed: the queue forgets it. */
  done(key: string): void {
    this.entries.delete(key);
    this.where.delete(key);
  }

  /** The pod did not fit: park it, or back off if the cluster changed since `cycle`. */
  unschedulable(key: string, cycle: number): void {
    const entry = this.entries.get(key);
    if (!entry || this.where.get(key) !== 'in-flight') return;
    entry.backoffUntil = Date.now() + this.backoffMs(entry.attempts);
    if (this.moveCycle > cycle) return this.backoff(entry);
    entry.parkedAt = Date.now();
    this.where.set(key, 'unschedulable');
  }

  /** An error (not a misfit) happened: retry after backoff. */
  retry(key: string): void {
    const entry = this.entries.get(key);
    if (!entry || this.where.get(key) !== 'in-flight') return;
    entry.backoffUntil = Date.now() + this.backoffMs(entry.attempts);
    this.backoff(entry);
  }

  /** The cluster changed in a way that may let parked pods fit. */
  moveAllToActive(): void {
    this.moveCycle++;
    for (const entry of this.entries.values()) if (this.where.get(entry.key) === 'unschedulable') this.activate(entry);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.flushTimer);
    for (const t of this.backoffTimers.values()) clearTimeout(t);
    this.backoffTimers.clear();
    this.waiter?.();
  }

  private backoffMs(attempts: number): number {
    const initial = this.options.initialBackoffMs ?? 1000;
    return Math.min(this.options.maxBackoffMs ?? 10_000, initial * 2 ** Math.max(0, attempts - 1));
  }

  private activate(entry: Entry): void {
    if (entry.backoffUntil > Date.now()) this.backoff(entry);
    else this.push(entry);
  }

  private backoff(entry: Entry): void {
    this.where.set(entry.key, 'backoff');
    clearTimeout(this.backoffTimers.get(entry.key));
    const timer = setTimeout(() => {
      this.backoffTimers.delete(entry.key);
      if (this.entries.get(entry.key) === entry && this.where.get(entry.key) === 'backoff') this.push(entry);
    }, Math.max(0, entry.backoffUntil - Date.now()));
    this.backoffTimers.set(entry.key, timer);
  }

  private flushUnschedulable(): void {
    const limit = Date.now() - (this.options.maxUnschedulableMs ?? 5 * 60_000);
    for (const entry of this.entries.values()) if (this.where.get(entry.key) === 'unschedulable' && entry.parkedAt <= limit) this.activate(entry);
  }

  private before(a: Entry, b: Entry): boolean {
    const pa = podPriority(a.pod);
    const pb = podPriority(b.pod);
    return pa !== pb ? pa > pb : a.since < b.since;
  }

  private push(entry: Entry): void {
    this.where.set(entry.key, 'active');
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private removeAt(index: number): Entry {
    const h = this.heap;
    const out = h[index]!;
    const last = h.pop()!;
    if (index < h.length) {
      h[index] = last;
      this.siftDown(index);
      this.siftUp(index);
    }
    return out;
  }

  private siftUp(index: number): void {
    const h = this.heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const h = this.heap;
    let i = index;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < h.length && this.before(h[l]!, h[best]!)) best = l;
      if (r < h.length && this.before(h[r]!, h[best]!)) best = r;
      if (best === i) return;
      [h[i], h[best]] = [h[best]!, h[i]!];
      i = best;
    }
  }
}

function schedulingFacts(pod: Pod): string {
  return JSON.stringify([pod.metadata.labels, pod.metadata.annotations, pod.spec]);
}
