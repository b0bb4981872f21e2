import type Database from 'better-sqlite3';
import { keyToBytes } from '../keys.ts';
import type { WatchEvent } from '../types.ts';
import type { Committer } from './committer.ts';
import type { KeySpace } from './keyspace.ts';

/**
 * Volatile keys (by default Kubernetes' Leases and Events: node heartbeats, leader-election
 * renewals, event churn) live in an in-memory SQLite database attached to the writer, with the
 * same MVCC log, revisions and watch events as durable keys. A commit that touches only them
 * writes nothing to disk. Their latest state is checkpointed to the `volatile` table on an
 * interval and at shutdown; after a crash they come back as of the last checkpoint — the price,
 * paid only by keys that their owners rewrite every few seconds anyway.
 */
export class VolatileCheckpointer {
  private dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly ks: KeySpace,
    private readonly committer: Committer,
    private readonly intervalMs: number,
  ) {}

  /** Restores the last checkpoint into memory; returns the highest revision it holds. */
  load(): number {
    const mem = this.ks.mem;
    if (!mem) return 0;
    let maxRev = 0;
    const rows = this.db.prepare('SELECT key, rev, create_rev, version, lease, value FROM main.volatile ORDER BY rev').all() as Array<{
      key: Buffer; rev: number; create_rev: number; version: number; lease: number; value: Buffer;
    }>;
    for (const r of rows) {
      const info = mem.stmt('insertLog').run(r.rev, r.key, r.create_rev, r.version, r.lease, 0, r.value, 0);
      mem.stmt('upsertLive').run(r.key, info.lastInsertRowid);
      maxRev = Math.max(maxRev, r.rev);
    }
    return maxRev;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => {}), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  noteEvents(events: WatchEvent[]): void {
    for (const e of events) if (this.ks.isVolatile(e.kv.key)) this.dirty.add(e.kv.key);
  }

  /** Writes the current state of every volatile key changed since the last checkpoint. */
  flush(): Promise<void> {
    if (this.dirty.size === 0) return Promise.resolve();
    const keys = this.dirty;
    this.dirty = new Set();
    return this.committer.submit({
      apply: () => this.writeJob(keys),
      rollback: () => {
        for (const k of keys) this.dirty.add(k);
      },
    });
  }

  /** The same write as a job of the caller's own (used by close, inside its final commit). */
  writeJob(keys: Set<string> = this.dirty): void {
    const upsert = this.db.prepare(`INSERT INTO main.volatile(key, rev, create_rev, version, lease, value) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET rev = excluded.rev, create_rev = excluded.create_rev, version = excluded.version, lease = excluded.lease, value = excluded.value`);
    const remove = this.db.prepare('DELETE FROM main.volatile WHERE key = ?');
    for (const key of keys) {
      const row = this.ks.live(key);
      if (row) upsert.run(row.key, row.rev, row.create_rev, row.version, row.lease, row.value ?? Buffer.alloc(0));
      else remove.run(keyToBytes(key));
    }
    if (keys === this.dirty) this.dirty = new Set();
  }
}
