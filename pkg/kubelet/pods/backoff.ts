/**
 * Per-key exponential back-off with Kubernetes' flowcontrol.Backoff semantics, for crash
 * loops and image pulls: 10 s doubling to 5 min, and forgotten when the last bump is more than
 * twice the maximum old (a container that ran for ten minutes starts again from 10 s).
 */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number, private readonly initialMs = BACKOFF_INITIAL_MS, private readonly maxMs = BACKOFF_MAX_MS) {}

  private expired(entry: Entry, at: number): boolean {
    return at - entry.lastUpdate > 2 * this.maxMs;
  }

  /** Counts one more failure of `key` that happened at `at`. */
  next(key: string, at = this.now()): void {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, at)) this.entries.set(key, { delayMs: this.initialMs, lastUpdate: this.now() });
    else this.entries.set(key, { delayMs: Math.min(entry.delayMs * 2, this.maxMs), lastUpdate: this.now() });
  }

  /** Milliseconds left of the back-off counted from `since` (a container's exit), 0 when none. */
  remainingSince(key: string, since: number): number {
    const entry = this.entries.get(key);
    if (!entry || this.expired(entry, since)) return 0;
    return Math.max(0, entry.delayMs - (this.now() - since));
  }

  /** Milliseconds left of the back-off counted from its last bump (image pulls), 0 when none. */
  remaining(key: string): number {
    const entry = this.entries.get(key);
    return entry ? this.remainingSince(key, entry.lastUpdate) : 0;
  }

  /** The current delay of `key` (for messages), 0 when none. */
  delay(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every key starting with `prefix` (a pod that is gone). */
  forgetPrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
