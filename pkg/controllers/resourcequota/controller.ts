/**
 * resourcequota-controller: status.hard follows spec.hard and status.used is measured from the
 * namespace's objects (usage.ts, scopes.ts). Admission charges each create to the quota as it
 * happens, so this controller recounts only when usage can have gone down or changed in place
 * (deletions, updates, a finished pod), when a quota's spec changes, and every five minutes —
 * as Kubernetes' replenishment does; recounting on every create would race the charges.
 * Kinds without a cache here (count/deployments.apps, …) are listed at each recount.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import { byNamespace } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { canonicalJson as canonical } from '../history/revision.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { scopesMatch } from './scopes.ts';
import { addUsage, formatList, matchesResource, objectUsage, type Usage, zero } from './usage.ts';

const SA = 'resourcequota-controller';
/** Kubernetes' --resource-quota-sync-period. */
const RESYNC_MS = 5 * 60_000;
/** Quotas counting kinds without a cache here notice their deletions only by recounting. */
const LISTED_RESYNC_MS = 30_000;
const CACHED_KINDS = ['pods', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas'];

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota-controller';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: this.name, workers: 2, paused: true });
  private readonly informers = new Map<string, Informer>();
  private readonly versions = new Map<string, string>();
  private quotas!: Informer;
  private client!: Client;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SA);
    for (const resource of CACHED_KINDS) this.informers.set(resource, ctx.informers.informerFor({ version: 'v1', resource }).addIndex('namespace', byNamespace));
    this.quotas = this.informers.get('resourcequotas')!;
    const enqueue = (q: KObject) => this.queue.add(`${q.metadata.namespace}/${q.metadata.name}`);
    this.quotas.onAdd(enqueue).onUpdate((o, n) => {
      // Status writes (ours, admission's charges) are no reason to recount.
      if (canonical(o.spec ?? {}) !== canonical(n.spec ?? {}) || canonical(n.spec?.hard ?? {}) !== canonical(n.status?.hard ?? {})) enqueue(n);
    });
    const quotasOf = (namespace: string) => this.quotas.byIndex('namespace', namespace).forEach(enqueue);
    for (const [resource, informer] of this.informers) {
      informer.onDelete((obj) => quotasOf(obj.metadata.namespace!));
      informer.onUpdate((o, n) => {
        const namespace = n.metadata.namespace!;
        if (this.quotas.byIndex('namespace', namespace).length === 0) return;
        if (canonical(formatList(objectUsage('', resource, o))) !== canonical(formatList(objectUsage('', resource, n)))) quotasOf(namespace);
      });
    }
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean | number> {
    const quota = this.quotas.get(key);
    if (!quota || quota.metadata.deletionTimestamp) return true;
    const namespace = quota.metadata.namespace!;
    const hard = (quota.spec?.hard ?? {}) as Record<string, string>;
    const names = Object.keys(hard);
    const used: Usage = new Map(names.map((n) => [n, zero()]));
    const now = Date.now();
    const measure = (group: string, resource: string, objects: KObject[]) => {
      const measured = names.filter((n) => matchesResource(group, resource, n));
      if (measured.length === 0) return;
      const total: Usage = new Map();
      for (const obj of objects) if (scopesMatch(quota, group, resource, obj)) addUsage(total, objectUsage(group, resource, obj, now));
      for (const n of measured) if (total.has(n)) used.set(n, total.get(n)!);
    };
    for (const [resource, informer] of this.informers) measure('', resource, informer.byIndex('namespace', namespace));
    let listed = false;
    for (const name of names) {
      const counted = /^count\/([^.]+)(?:\.(.+))?$/.exec(name);
      if (!counted || (CACHED_KINDS.includes(counted[1]!) && !counted[2])) continue;
      listed = true;
      const objects = await this.list(counted[2] ?? '', counted[1]!, namespace);
      if (objects) measure(counted[2] ?? '', counted[1]!, objects);
    }
    const status = { hard, used: formatList(used) };
    if (canonical(status) !== canonical(quota.status ?? {})) {
      const path = resourcePath({ version: 'v1', resource: 'resourcequotas', namespace, name: quota.metadata.name, subresource: 'status' });
      try {
        await this.client.update(path, { ...quota, status } as KObject);
      } catch (err) {
        // Admission charged meanwhile (409): recount from the newer quota.
        if (isClientError(err) && err.code === 409) return false;
        if (isClientError(err) && err.code === 404) return true;
        throw err;
      }
    }
    return listed ? LISTED_RESYNC_MS : RESYNC_MS;
  }

  /** The namespace's objects of a kind without a cache; undefined when the kind is unknown. */
  private async list(group: string, resource: string, namespace: string): Promise<KObject[] | undefined> {
    const version = await this.preferredVersion(group);
    if (!version) return undefined;
    try {
      return (await this.client.list(resourcePath({ group, version, resource, namespace }))).items;
    } catch (err) {
      if (isClientError(err) && (err.code === 404 || err.code === 403)) return undefined;
      throw err;
    }
  }

  private async preferredVersion(group: string): Promise<string | undefined> {
    if (group === '') return 'v1';
    const known = this.versions.get(group);
    if (known) return known;
    try {
      const g = await this.client.get<KObject & { preferredVersion?: { version: string } }>(`/apis/${group}`);
      const version = g.preferredVersion?.version;
      if (version) this.versions.set(group, version);
      return version;
    } catch (err) {
      if (isClientError(err) && err.code === 404) return undefined;
      throw err;
    }
  }
}

export const resourceQuotaController = (): Controller => new ResourceQuotaController();
