/**
 * Records core/v1 Events about objects, as client-go's event recorder does: the same event
 * (object, type, reason, message) repeated within ten minutes bumps `count` and
 * `lastTimestamp` on the existing Event instead of creating another; writes go out in the
 * background, at most a few at a time, and are dropped (with one log line) when the backlog
 * passes 1,000, so a storm of events cannot stall the component that records them.
 */
import crypto from 'node:crypto';
import type { KObject } from '../api/types.ts';
import { logger } from '../log/log.ts';
import type { Client } from './client.ts';
import { isClientError } from './errors.ts';
import { resourcePath } from './paths.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  /** e.g. default-scheduler, replicaset-controller, kubelet. */
  component: string;
  host?: string;
}

/** The interface components depend on; tests can pass a fake. */
export interface EventSink {
  event(obj: KObject, type: EventType, reason: string, message: string): void;
}

const MAX_BACKLOG = 1000;
const IN_FLIGHT = 4;
const AGGREGATE_MS = 10 * 60_000;
const MAX_REMEMBERED = 4096;

interface Remembered {
  namespace: string;
  name: string;
  count: number;
  at: number;
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventRecorder implements EventSink {
  private readonly backlog: (() => Promise<void>)[] = [];
  private inFlight = 0;
  private dropped = 0;
  private readonly seen = new Map<string, Remembered>();
  private readonly log;

  constructor(private readonly client: Client, private readonly source: EventSource) {
    this.log = logger(`events ${source.component}`);
  }

  event(obj: KObject, type: EventType, reason: string, message: string): void {
    if (this.backlog.length >= MAX_BACKLOG) {
      if (this.dropped++ === 0) this.log.warn('event backlog full: dropping events');
      return;
    }
    const now = new Date();
    this.backlog.push(() => this.write(obj, type, reason, message, now));
    this.pump();
  }

  /** Resolves once every recorded event was written or dropped (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.backlog.length > 0 || this.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.backlog.length > 0) {
      const job = this.backlog.shift()!;
      this.inFlight++;
      job()
        .catch((err: unknown) => this.log.debug(`event not written: ${(err as Error).message}`))
        .finally(() => {
          this.inFlight--;
          if (this.backlog.length === 0) this.dropped = 0;
          this.pump();
        });
    }
  }

  private async write(obj: KObject, type: EventType, reason: string, message: string, now: Date): Promise<void> {
    const namespace = obj.metadata.namespace || 'default';
    const key = `${obj.metadata.uid ?? ''}\0${obj.kind}\0${obj.metadata.namespace}\0${obj.metadata.name}\0${type}\0${reason}\0${message}`;
    const prior = this.seen.get(key);
    const stamp = rfc3339(now);
    if (prior && now.getTime() - prior.at < AGGREGATE_MS) {
      prior.count++;
      prior.at = now.getTime();
      try {
        await this.client.patch(resourcePath({ version: 'v1', resource: 'events', namespace: prior.namespace, name: prior.name }), { count: prior.count, lastTimestamp: stamp }, 'merge');
        return;
      } catch (err) {
        if (!isClientError(err) || err.code !== 404) throw err;
        this.seen.delete(key);
      }
    }
    const name = `${obj.metadata.name}.${crypto.randomBytes(8).toString('hex')}`;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component: this.source.component, ...(this.source.host ? { host: this.source.host } : {}) },
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
      reportingComponent: this.source.component,
      reportingInstance: this.source.host ?? '',
    };
    await this.client.create(resourcePath({ version: 'v1', resource: 'events', namespace }), event as unknown as KObject);
    if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, { namespace, name, count: 1, at: now.getTime() });
  }
}
