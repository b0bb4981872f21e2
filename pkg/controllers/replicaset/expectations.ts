/**
 * What a controller is still waiting to see in its informer after its own writes, as
 * client-go's (UID-tracking) ControllerExpectations: after creating N pods it does not act on
 * that owner again until the informer has shown N new pods (or five minutes passed, in case a
 * watch event was lost), so a lagging cache never makes it create the same pods twice.
 */

/** Kubernetes' ExpectationsTimeout. */
const EXPIRY_MS = 5 * 60_000;

interface Expectation {
  adds: number;
  /** Keys of pods whose deletion is not observed yet. */
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly byOwner = new Map<string, Expectation>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when nothing is pending (or it waited too long): the owner may be acted on. */
  satisfied(owner: string): boolean {
    const e = this.byOwner.get(owner);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.now() - e.at > EXPIRY_MS;
  }

  expectCreations(owner: string, count: number): void {
    this.byOwner.set(owner, { adds: count, deletes: new Set(), at: this.now() });
  }

  expectDeletions(owner: string, podKeys: string[]): void {
    this.byOwner.set(owner, { adds: 0, deletes: new Set(podKeys), at: this.now() });
  }

  creationObserved(owner: string): void {
    const e = this.byOwner.get(owner);
    if (e) e.adds--;
  }

  deletionObserved(owner: string, podKey: string): void {
    this.byOwner.get(owner)?.deletes.delete(podKey);
  }

  forget(owner: string): void {
    this.byOwner.delete(owner);
  }
}
