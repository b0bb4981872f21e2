/**
 * Fakes for this folder's unit tests: a cache keyed as the real informer keys objects
 * (namespace/name, or name for nodes) that the test fills by hand, and a context whose
 * client records what it is asked to write.
 */
import type { KObject } from '../../api/types.ts';
import type { ControllerContext } from '../manager.ts';

export class FakeCache {
  readonly objects = new Map<string, KObject>();
  addIndex(): this {
    return this;
  }
  onAdd(): this {
    return this;
  }
  onUpdate(): this {
    return this;
  }
  onDelete(): this {
    return this;
  }
  get(key: string): KObject | undefined {
    return this.objects.get(key);
  }
  list(): KObject[] {
    return [...this.objects.values()];
  }
  keys(): string[] {
    return [...this.objects.keys()];
  }
  /** Objects of one node (the only index these controllers ask for). */
  byIndex(_: string, node: string): KObject[] {
    return this.list().filter((o) => o.spec?.nodeName === node);
  }
  put(obj: KObject): void {
    this.objects.set(obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!, obj);
  }
}

export interface Call {
  method: 'update' | 'patch' | 'delete';
  path: string;
  body?: unknown;
}

export function fakeContext(config: Partial<ControllerContext['config']> = {}) {
  const caches = new Map<string, FakeCache>();
  const cache = (resource: string) => {
    let c = caches.get(resource);
    if (!c) caches.set(resource, (c = new FakeCache()));
    return c;
  };
  const calls: Call[] = [];
  const events: string[] = [];
  let rv = 100;
  const client = {
    update: async (path: string, body: KObject) => {
      calls.push({ method: 'update', path, body });
      return { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } };
    },
    patch: async (path: string, body: unknown) => void calls.push({ method: 'patch', path, body }),
    delete: async (path: string) => void calls.push({ method: 'delete', path }),
  };
  const ctx = {
    informers: { informerFor: (ref: { resource: string }) => cache(ref.resource) },
    clientFor: () => client,
    recorderFor: () => ({ event: (obj: KObject, type: string, reason: string, message: string) => events.push(`${obj.metadata.name} ${type} ${reason} ${message}`) }),
    config,
  } as unknown as ControllerContext;
  return { ctx, cache, calls, events };
}

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
