/**
 * client-go's EventSourceObjectSpamFilter for one component: each object may have 25 events
 * recorded at once, then one more per five minutes (a token bucket per object). Kubernetes'
 * ReplicaSet controller scaling to 10,000 pods records the first 25 SuccessfulCreate events
 * and drops the rest; without the filter every pod would cost a second API write.
 */
import type { KObject } from '../../api/types.ts';
import type { EventSink, EventType } from '../../client/events.ts';

const BURST = 25;
const REFILL_MS = 5 * 60_000;
/** Buckets remembered at most (client-go keeps an LRU of 4,096). */
const MAX_OBJECTS = 4096;

export class EventBudget implements EventSink {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly sink: EventSink, private readonly now: () => number = Date.now) {}

  event(obj: KObject, type: EventType, reason: string, message: string): void {
    const key = `${obj.apiVersion}\0${obj.kind}\0${obj.metadata.namespace}\0${obj.metadata.name}\0${obj.metadata.uid}`;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket) {
      // Least recently used goes first when the map is full: move this one to the end.
      this.buckets.delete(key);
      bucket.tokens = Math.min(BURST, bucket.tokens + (now - bucket.at) / REFILL_MS);
      bucket.at = now;
    } else {
      bucket = { tokens: BURST, at: now };
      if (this.buckets.size >= MAX_OBJECTS) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return;
    bucket.tokens--;
    this.sink.event(obj, type, reason, message);
  }
}
