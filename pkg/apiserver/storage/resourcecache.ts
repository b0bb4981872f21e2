/**
 * One resource's part of the watch cache: its objects by key, and a ring of its recent events
 * for watches that resume from a resourceVersion (older ones get 410 Expired).
 */
import type { KObject } from '../../api/types.ts';

export interface CachedObject {
  key: string;
  /** With metadata.resourceVersion set; shared by every reader: never mutate. */
  obj: KObject;
  revision: number;
  /** The object's JSON, computed once and shared by every list and watch that sends it. */
  json?: string;
}

export type CacheEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: CacheEventType;
  /** For DELETED: the last state, with resourceVersion = the delete's revision. */
  object: CachedObject;
  prev?: CachedObject;
  revision: number;
}

export type EventSink = (events: CacheEvent[], revision: number) => void;

export function jsonOf(c: CachedObject): string {
  if (c.json === undefined) c.json = JSON.stringify(c.obj);
  return c.json;
}

export class ResourceCache {
  readonly objects = new Map<string, CachedObject>();
  readonly ring: CacheEvent[] = [];
  private ringStart = 0;
  /** Every event with revision > completeSince is in the ring. */
  completeSince: number;
  readonly sinks = new Set<EventSink>();

  constructor(
    readonly storagePath: string,
    startRevision: number,
    private readonly capacity: number,
  ) {
    this.completeSince = startRevision;
  }

  record(event: CacheEvent): void {
    if (this.ring.length - this.ringStart >= this.capacity) {
      this.completeSince = this.ring[this.ringStart]!.revision;
      this.ringStart++;
      if (this.ringStart > this.capacity) {
        this.ring.splice(0, this.ringStart);
        this.ringStart = 0;
      }
    }
    this.ring.push(event);
  }

  /** Events after `revision`, or undefined when some of them are no longer kept. */
  since(revision: number): CacheEvent[] | undefined {
    if (revision < this.completeSince) return undefined;
    const out: CacheEvent[] = [];
    for (let i = this.ring.length - 1; i >= this.ringStart; i--) {
      const e = this.ring[i]!;
      if (e.revision <= revision) break;
      out.push(e);
    }
    return out.reverse();
  }
}

