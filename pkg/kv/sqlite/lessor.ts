import { kvErrors } from '../errors.ts';

interface LeaseState {
  ttl: number;
  expiresAt: number;
  keys: Set<string>;
}

/** etcd refuses TTLs below its election timeout; clients (Kubernetes) rely on short ones working. */
export const MIN_TTL_SECONDS = 1;
/** etcd's MaxLeaseTTL. */
export const MAX_TTL_SECONDS = 9_000_000_000;

/**
 * Leases in memory. Grants and revocations are durable writes; keep-alives are not written at
 * all (as in etcd), so renewals cost the disk nothing. After a restart every lease gets its full
 * TTL again, which is etcd's behaviour on leader change.
 */
export class Lessor {
  private readonly leases = new Map<number, LeaseState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onExpired: (id: number) => void, private readonly now: () => number = Date.now) {}

  start(checkEveryMs = 250): void {
    this.timer = setInterval(() => this.expire(), checkEveryMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  has(id: number): boolean {
    return this.leases.has(id);
  }

  /** Picks a free id below 2^53 that JS numbers carry exactly. */
  newId(): number {
    for (;;) {
      const id = Math.floor(Math.random() * (Number.MAX_SAFE_INTEGER - 1)) + 1;
      if (!this.leases.has(id)) return id;
    }
  }

  add(id: number, ttl: number): void {
    this.leases.set(id, { ttl, expiresAt: this.now() + ttl * 1000, keys: new Set() });
  }

  remove(id: number): void {
    this.leases.delete(id);
  }

  keysOf(id: number): string[] {
    return [...(this.leases.get(id)?.keys ?? [])];
  }

  attach(key: string, from: number, to: number): void {
    if (from !== 0) this.leases.get(from)?.keys.delete(key);
    if (to !== 0) this.leases.get(to)?.keys.add(key);
  }

  renew(id: number): number {
    const lease = this.leases.get(id);
    if (!lease) throw kvErrors.leaseNotFound();
    lease.expiresAt = this.now() + lease.ttl * 1000;
    return lease.ttl;
  }

  timeToLive(id: number): { ttl: number; grantedTtl: number } | undefined {
    const lease = this.leases.get(id);
    if (!lease) return undefined;
    return { ttl: Math.max(0, Math.ceil((lease.expiresAt - this.now()) / 1000)), grantedTtl: lease.ttl };
  }

  ids(): number[] {
    return [...this.leases.keys()];
  }

  private expire(): void {
    const now = this.now();
    for (const [id, lease] of this.leases) {
      // Push the deadline out so a slow revocation is not started twice.
      if (lease.expiresAt <= now) {
        lease.expiresAt = now + 5000;
        this.onExpired(id);
      }
    }
  }
}
