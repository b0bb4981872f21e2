/**
 * What the Job controller has asked the API for and not yet seen in its informer: pod
 * creations and deletions (client-go's ControllerExpectations) and tracking-finalizer removals
 * (uidTrackingExpectations). Until they are observed the cache is behind the controller's own
 * writes, and acting on it would create pods twice or count a finished pod twice.
 */

/** Expectations older than this are presumed lost (a missed watch event) and ignored, as in Kubernetes. */
const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Pending {
  adds: number;
  dels: number;
  at: number;
}

export class Expectations {
  private readonly pending = new Map<string, Pending>();
  private readonly finalizers = new Map<string, Set<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when every expected create/delete of the job was observed (or expired). */
  satisfied(key: string): boolean {
    const p = this.pending.get(key);
    if (!p) return true;
    return (p.adds <= 0 && p.dels <= 0) || this.now() - p.at > EXPECTATIONS_TIMEOUT_MS;
  }

  expectCreations(key: string, n: number): void {
    this.pending.set(key, { adds: n, dels: 0, at: this.now() });
  }

  expectDeletions(key: string, n: number): void {
    this.pending.set(key, { adds: 0, dels: n, at: this.now() });
  }

  creationObserved(key: string): void {
    const p = this.pending.get(key);
    if (p) p.adds--;
  }

  deletionObserved(key: string): void {
    const p = this.pending.get(key);
    if (p) p.dels--;
  }

  /** UIDs of pods whose finalizer removal was sent but not yet seen. */
  expectedFinalizerRemovals(key: string): ReadonlySet<string> {
    return this.finalizers.get(key) ?? new Set();
  }

  expectFinalizersRemoved(key: string, uids: string[]): void {
    let set = this.finalizers.get(key);
    if (!set) this.finalizers.set(key, (set = new Set()));
    for (const uid of uids) set.add(uid);
  }

  finalizerRemovalObserved(key: string, uid: string): void {
    const set = this.finalizers.get(key);
    if (!set) return;
    set.delete(uid);
    if (set.size === 0) this.finalizers.delete(key);
  }

  forget(key: string): void {
    this.pending.delete(key);
    this.finalizers.delete(key);
  }
}
