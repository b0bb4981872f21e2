/**
 * What a controller wrote and its informer has not shown yet (client-go's expectations, as
 * Kubernetes' endpointSliceTracker keeps them): until the cache holds every object at the
 * resourceVersion written, or no longer holds the ones deleted, reconciling again would act on
 * a stale picture (create a second slice, resurrect a deleted one).
 */
import type { KObject } from '../../api/types.ts';

/** Writes not seen after this long are forgotten: the watch may have skipped them (relist). */
const FORGET_AFTER_MS = 30_000;

interface Expectation {
  /** The resourceVersion written, or undefined for a delete. */
  resourceVersion: string | undefined;
  at: number;
}

const newer = (have: string | undefined, want: string): boolean => {
  if (!have) return false;
  try {
    return BigInt(have) >= BigInt(want);
  } catch {
    return have === want;
  }
};

export class WriteTracker {
  private readonly byOwner = new Map<string, Map<string, Expectation>>();

  wrote(owner: string, obj: KObject): void {
    this.expect(owner, obj.metadata.name!, obj.metadata.resourceVersion);
  }

  deleted(owner: string, name: string): void {
    this.expect(owner, name, undefined);
  }

  /** True when `lookup` (the informer cache) reflects every write made for `owner`. */
  observed(owner: string, lookup: (name: string) => KObject | undefined): boolean {
    const pending = this.byOwner.get(owner);
    if (!pending) return true;
    const now = Date.now();
    for (const [name, e] of pending) {
      const cached = lookup(name);
      const seen = e.resourceVersion === undefined ? !cached : newer(cached?.metadata.resourceVersion, e.resourceVersion);
      if (seen || now - e.at > FORGET_AFTER_MS) pending.delete(name);
    }
    if (pending.size === 0) this.byOwner.delete(owner);
    return pending.size === 0;
  }

  forget(owner: string): void {
    this.byOwner.delete(owner);
  }

  private expect(owner: string, name: string, resourceVersion: string | undefined): void {
    let pending = this.byOwner.get(owner);
    if (!pending) this.byOwner.set(owner, (pending = new Map()));
    pending.set(name, { resourceVersion, at: Date.now() });
  }
}
