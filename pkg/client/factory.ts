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

export class InformerFactory {
  private readonly informers = new Map<string, Informer<KObject>>();
  private started = false;

  constructor(private readonly client: Client) {}

  /** The one informer for this resource (and selectors), e.g. { version: 'v1', resource: 'pods' }. */
  informerFor<T extends KObject = KObject>(ref: InformerRef): Informer<T> {
    const path = resourcePath(ref);
    const id = `${path}?l=${ref.labelSelector ?? ''}&f=${ref.fieldSelector ?? ''}`;
    let informer = this.informers.get(id);
    if (!informer) {
      informer = new Informer<KObject>(this.client, { path, labelSelector: ref.labelSelector, fieldSelector: ref.fieldSelector, name: `informer ${ref.group ? `${ref.resource}.${ref.group}` : ref.resource}` });
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
