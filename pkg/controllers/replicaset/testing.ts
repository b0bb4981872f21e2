/**
 * Fakes for controller unit tests: an informer cache the test fills by hand (handlers fire as
 * in the real one), an API client that records writes and answers them, and an event sink.
 * Tests decide when writes show up in the cache, so they can play a lagging informer.
 */
import crypto from 'node:crypto';
import type { KObject } from '../../api/types.ts';
import { ClientError } from '../../client/errors.ts';
import type { EventSink, EventType } from '../../client/events.ts';
import type { IndexFunc } from '../../client/informer.ts';
import type { ControllerContext } from '../manager.ts';

export class FakeInformer {
  private readonly store = new Map<string, KObject>();
  private readonly indexers = new Map<string, IndexFunc<KObject>>();
  private readonly handlers = { add: [] as ((o: KObject) => void)[], update: [] as ((a: KObject, b: KObject) => void)[], delete: [] as ((o: KObject) => void)[] };

  addIndex(name: string, fn: IndexFunc<KObject>): this {
    this.indexers.set(name, fn);
    return this;
  }
  byIndex(name: string, value: string): KObject[] {
    const fn = this.indexers.get(name)!;
    return [...this.store.values()].filter((o) => fn(o).includes(value));
  }
  onAdd(h: (o: KObject) => void): this {
    this.handlers.add.push(h);
    return this;
  }
  onUpdate(h: (a: KObject, b: KObject) => void): this {
    this.handlers.update.push(h);
    return this;
  }
  onDelete(h: (o: KObject) => void): this {
    this.handlers.delete.push(h);
    return this;
  }
  get(key: string): KObject | undefined {
    return this.store.get(key);
  }
  list(): KObject[] {
    return [...this.store.values()];
  }
  /** What a watch event would do: store the object and call the handlers. */
  upsert(obj: KObject): void {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const old = this.store.get(key);
    this.store.set(key, obj);
    if (old) for (const h of this.handlers.update) h(old, obj);
    else for (const h of this.handlers.add) h(obj);
  }
  remove(obj: KObject): void {
    this.store.delete(`${obj.metadata.namespace}/${obj.metadata.name}`);
    for (const h of this.handlers.delete) h(obj);
  }
}

export interface Write {
  verb: 'create' | 'update' | 'patch' | 'delete' | 'get';
  path: string;
  body?: unknown;
}

/** Answers writes like an API server would (names, uids, resourceVersions); `fail` injects errors. */
export class FakeClient {
  readonly writes: Write[] = [];
  readonly objects = new Map<string, KObject>();
  fail: ((w: Write) => ClientError | undefined) | undefined;
  private rv = 1;
  private generated = 0;

  private check(w: Write): void {
    this.writes.push(w);
    const err = this.fail?.(w);
    if (err) throw err;
  }
  async get(path: string): Promise<KObject> {
    this.check({ verb: 'get', path });
    const obj = this.objects.get(path);
    if (!obj) throw new ClientError(404, { reason: 'NotFound', message: `${path} not found` });
    return structuredClone(obj);
  }
  async create(path: string, obj: KObject): Promise<KObject> {
    this.check({ verb: 'create', path, body: obj });
    const created = structuredClone(obj);
    // A sequence, not random: a random suffix would collide now and then across hundreds of creates.
    const name = created.metadata.name ?? `${created.metadata.generateName}${(++this.generated).toString(36).padStart(5, '0')}`;
    if (this.objects.has(`${path}/${name}`)) throw new ClientError(409, { reason: 'AlreadyExists', message: `${name} already exists` });
    created.metadata = { ...created.metadata, name, uid: crypto.randomUUID(), resourceVersion: String(++this.rv), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), generation: 1 };
    this.objects.set(`${path}/${name}`, created);
    return structuredClone(created);
  }
  async update(path: string, obj: KObject): Promise<KObject> {
    this.check({ verb: 'update', path, body: obj });
    const updated = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    this.objects.set(path.replace(/\/status$/, ''), updated);
    return structuredClone(updated);
  }
  async patch(path: string, body: unknown): Promise<KObject> {
    this.check({ verb: 'patch', path, body });
    return { metadata: {} };
  }
  async delete(path: string): Promise<KObject> {
    this.check({ verb: 'delete', path });
    this.objects.delete(path);
    return { metadata: {} };
  }
  count(verb: Write['verb'], pathPart = ''): number {
    return this.writes.filter((w) => w.verb === verb && w.path.includes(pathPart)).length;
  }
}

export class FakeEvents implements EventSink {
  readonly events: { type: EventType; reason: string; message: string; name?: string }[] = [];
  event(obj: KObject, type: EventType, reason: string, message: string): void {
    this.events.push({ type, reason, message, name: obj.metadata.name });
  }
}

/** A ControllerContext over fake informers (one per resource name), one fake client and sink. */
export function fakeContext(): { ctx: ControllerContext; informers: Map<string, FakeInformer>; client: FakeClient; events: FakeEvents } {
  const informers = new Map<string, FakeInformer>();
  const client = new FakeClient();
  const events = new FakeEvents();
  const ctx = {
    informers: {
      informerFor: (ref: { resource: string }) => {
        let i = informers.get(ref.resource);
        if (!i) informers.set(ref.resource, (i = new FakeInformer()));
        return i;
      },
    },
    clientFor: () => client,
    recorderFor: () => events,
    config: {},
  } as unknown as ControllerContext;
  return { ctx, informers, client, events };
}
