/**
 * What a controller is still waiting to see in its informer after its own writes (client-go's
 * ControllerExpectations): until the pods it created and deleted show up as such, the cache
 * is behind and acting on it would create or delete twice. Expectations lapse after five
 * minutes, so a lost watch event cannot wedge a key forever.
 */
const EXPIRY_MS = 5 * 60_000;

interface Pending {
  creations: number;
  deletions: Set<string>;
  at: number;
}

export class Expectations {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records the writes about to be made (creations by count, deletions by pod uid). */
  expect(key: string, creations: number, deletionUids: string[]): void {
    this.pending.set(key, { creations, deletions: new Set(deletionUids), at: this.now() });
  }

  creationObserved(key: string): void {
    const p = this.pending.get(key);
    if (p && p.creations > 0) p.creations--;
  }

  deletionObserved(key: string, uid: string): void {
    this.pending.get(key)?.deletions.delete(uid);
  }

  satisfied(key: string): boolean {
    const p = this.pending.get(key);
    if (!p) return true;
    return (p.creations <= 0 && p.deletions.size === 0) || this.now() - p.at > EXPIRY_MS;
  }

  forget(key: string): void {
    this.pending.delete(key);
  }
}
