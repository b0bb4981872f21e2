/**
 * Shared informers: every controller of a process that watches the same resource shares one
 * list+watch and one cache, as client-go's SharedInformerFactory does. Informers are made on
 * first request and started by start(); one asked for after start() starts at once.
 */
import type { KObject } from '../api/types.ts';
import type { Client } from './client.ts';
import { Informer, type InformerOptions } from './informer.ts';
import { resourcePath, type ResourceRef } from './paths.ts';

export type InformerRef = Omit<ResourceRef, 'name' | 'subresource'> & Pick<InformerOptions, 'labelSelector' | 'fieldSelector'>;

/**
 * Indexes controllers commonly ask for; add them with informer.addIndex(NAME, fn). Controllers
 * sharing an informer must use the same name for the same function, or it is kept twice.
 */
export const NAMESPACE_INDEX = 'namespace';
export const NODE_NAME_INDEX = 'spec.nodeName';
export const CONTROLLER_INDEX = 'controllerUid';
export const byNamespace = (obj: KObject): string[] => [obj.metadata.namespace ?? ''];
export const byNodeName = (obj: KObject): string[] => {
  const node = (obj as { spec?: { nodeName?: string } }).spec?.nodeName;
  return node ? [node] : [];
};
export const byOwnerUid = (obj: KObject): string[] => (obj.metadata.ownerReferences ?? []).map((r) => r.uid);
export const byControllerUid = (obj: KObject): string[] => (obj.metadata.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid);

function informerId(ref: InformerRef): { id: string; options: InformerOptions } {
  const path = resourcePath(ref);
  return {
    id: `${path}?l=${ref.labelSelector ?? ''}&f=${ref.fieldSelector ?? ''}`,
    options: { path, labelSelector: ref.labelSelector, fieldSelector: ref.fieldSelector, name: `informer ${ref.group ? `${ref.resource}.${ref.group}` : ref.resource}` },
  };
}

/**
 * Informers shared by several components of one thread (the scheduler and the controller
 * manager): one list+watch and one cache per resource, under this pool's client. Each
 * component gets views with handlers of their own (InformerFactory with this pool), so it can
 * stop (stand down as leader) without the others; a resource nobody follows any more stops.
 */
export class InformerPool {
  private readonly leaders = new Map<string, Informer<KObject>>();

  constructor(private readonly client: Client) {}

  view<T extends KObject>(ref: InformerRef): Informer<T> {
    const { id, options } = informerId(ref);
    let leader = this.leaders.get(id);
    if (!leader) {
      const made = new Informer<KObject>(this.client, options);
      leader = made;
      this.leaders.set(id, made);
      // Unfollowed for good: a later view gets a new leader (a stopped informer stays stopped).
      made.whenUnfollowed(() => {
        made.stop();
        if (this.leaders.get(id) === made) this.leaders.delete(id);
      });
    }
    return leader.follow() as unknown as Informer<T>;
  }
}

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KObject>>();
  private started = false;

  /** With a pool, the informers are views of the pool's (shared with other factories of it). */
  constructor(private readonly client: Client, private readonly pool?: InformerPool) {}

  /** The one informer for this resource (and selectors), e.g. { version: 'v1', resource: 'pods' }. */
  informerFor<T extends KObject = KObject>(ref: InformerRef): Informer<T> {
    const { id, options } = informerId(ref);
    let informer = this.informers.get(id);
    if (!informer) {
      informer = this.pool ? this.pool.view<KObject>(ref) : new Informer<KObject>(this.client, options);
      this.informers.set(id, informer);
      if (this.started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  /** Resolves once every informer made so far has its first list. */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}
