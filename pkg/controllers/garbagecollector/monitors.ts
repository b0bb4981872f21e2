/**
 * Which resources the garbage collector watches: every one the server serves (preferred
 * version) that can be listed, watched and deleted, as Kubernetes' GetDeletableResources, minus
 * events (which Kubernetes' collector ignores too: many, short-lived, never owners). Built-in
 * resources use the manager's shared informers (one watch and one cache per resource for all
 * controllers); resources served by CRDs get informers of their own, so they can be stopped
 * when the CRD goes. Discovery runs again when CRDs change and every 30 s.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import type { InformerFactory } from '../../client/factory.ts';
import { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { logger } from '../../log/log.ts';
import { discover, supports, type ApiResource, type Discovery } from './discovery.ts';

const log = logger('garbage-collector');
const REDISCOVER_MS = 30_000;
const IGNORED = new Set(['/events', 'events.k8s.io/events']);

export const CRDS = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };
type Crd = KObject & { spec?: { group?: string; names?: { plural?: string } } };

export const resourceKey = (r: Pick<ApiResource, 'group' | 'resource'>): string => `${r.group}/${r.resource}`;

export interface MonitorHandlers {
  upsert(resource: ApiResource, obj: KObject): void;
  remove(resource: ApiResource, obj: KObject): void;
  /** A resource no longer served: forget its objects. */
  forget(resource: ApiResource): void;
}

interface Monitor {
  resource: ApiResource;
  informer: Informer;
  /** Own informers are stopped when the resource goes; shared ones belong to the factory. */
  own: boolean;
}

export class Monitors {
  private readonly monitors = new Map<string, Monitor>();
  private discovery: Discovery | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private crds: Informer | undefined;

  constructor(
    private readonly client: Client,
    private readonly shared: InformerFactory,
    private readonly handlers: MonitorHandlers,
  ) {}

  /** The last discovery (to resolve ownerReferences); refreshed by sync(). */
  get current(): Discovery | undefined {
    return this.discovery;
  }

  /** CRD objects tell which resources are custom (own informers) and when to rediscover. */
  watchCrds(crds: Informer): void {
    this.crds = crds;
    const changed = () => {
      if (crds.hasSynced()) void this.sync();
    };
    crds.onAdd(changed).onUpdate(changed).onDelete(changed);
  }

  /** group/plural of every CRD, from the informer once it has listed, else read live (first sync). */
  private async customResources(): Promise<Set<string>> {
    const crds = this.crds?.hasSynced() ? this.crds.list() : (await this.client.list(resourcePath(CRDS))).items;
    return new Set(crds.map((c) => resourceKey({ group: (c as Crd).spec?.group ?? '', resource: (c as Crd).spec?.names?.plural ?? '' })));
  }

  /** Rediscovers and starts/stops informers; concurrent calls coalesce into one more pass. */
  sync(): Promise<void> {
    if (this.pending) {
      this.again = true;
      return this.pending;
    }
    this.pending = (async () => {
      do {
        this.again = false;
        try {
          await this.syncOnce();
        } catch (err) {
          log.warn(`discovery failed: ${(err as Error).message}`);
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.pending = undefined));
    return this.pending;
  }

  start(): void {
    this.timer = setInterval(() => void this.sync(), REDISCOVER_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const m of this.monitors.values()) if (m.own) m.informer.stop();
  }

  /** Informers made so far (to wait for their first lists). */
  informers(): Informer[] {
    return [...this.monitors.values()].map((m) => m.informer);
  }

  private async syncOnce(): Promise<void> {
    const [found, custom] = await Promise.all([discover(this.client), this.customResources()]);
    if (this.stopped) return;
    this.discovery = found;
    const wanted = new Map<string, ApiResource>();
    for (const r of found.preferred) if (supports(r, 'list', 'watch', 'delete') && !IGNORED.has(resourceKey(r))) wanted.set(resourceKey(r), r);
    // A group whose discovery failed is not "gone": stop nothing on a partial answer.
    for (const [key, m] of found.failures.length > 0 ? [] : this.monitors) {
      const now = wanted.get(key);
      if (now && now.version === m.resource.version) continue;
      // Gone, or its preferred version changed: drop it (a new monitor follows if still served).
      if (m.own) m.informer.stop();
      this.monitors.delete(key);
      this.handlers.forget(m.resource);
      log.info(`stopped watching ${key}`);
    }
    for (const [key, r] of wanted) if (!this.monitors.has(key)) this.add(key, r, custom.has(key));
  }

  private add(key: string, resource: ApiResource, own: boolean): void {
    const ref = { group: resource.group, version: resource.version, resource: resource.resource };
    const informer = own ? new Informer(this.client, { path: resourcePath(ref), name: `gc informer ${key}` }) : this.shared.informerFor(ref);
    informer.onAdd((obj) => this.handlers.upsert(resource, obj));
    informer.onUpdate((_, obj) => this.handlers.upsert(resource, obj));
    informer.onDelete((obj) => this.handlers.remove(resource, obj));
    // A shared informer may already hold objects (another controller made it): take them in.
    for (const obj of informer.list()) this.handlers.upsert(resource, obj);
    if (own) informer.start();
    this.monitors.set(key, { resource, informer, own });
    log.debug(`watching ${key} (${own ? 'own informer' : 'shared informer'})`);
  }
}
