/**
 * Serves custom resources as CRDs come and go, as the apiextensions-apiserver does: an
 * established CRD adds its versions to the resource table (routes, discovery, OpenAPI, watch
 * cache follow), gets NamesAccepted/Established conditions and the cleanup finalizer; a CRD
 * being deleted has its custom resources deleted first, then leaves the table.
 */
import type { OpenApiSchemas } from '../../api/openapi/resolver.ts';
import type { KObject, ResourceDefinition, StrategyContext } from '../../api/types.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../log/log.ts';
import { ApiError } from '../errors.ts';
import type { ApiContext } from '../handlers/context.ts';
import { timestamp } from '../storage/meta.ts';
import { servedCustomResource } from './definitions.ts';

const log = logger('crd');
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

function systemContext(subresource = ''): StrategyContext {
  return { user: { username: 'system:apiextensions-controller', groups: ['system:masters'] }, now: new Date(), dryRun: false, subresource };
}

export class CrdController {
  private readonly served = new Map<string, { group: string; plural: string; schemaNames: string[] }>();
  private cancel?: () => void;
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: 'crd' });

  constructor(private readonly ctx: ApiContext, private readonly schemas: OpenApiSchemas) {}

  private get def(): ResourceDefinition {
    return this.ctx.table.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  }

  start(): void {
    const def = this.def;
    // Serve what is stored before answering requests: a restart must not 404 custom resources.
    for (const c of this.ctx.cache.list(def.storagePath)) this.serve(c.obj);
    const sub = this.ctx.cache.subscribe(def.storagePath, this.ctx.cache.revision, (events) => {
      for (const e of events) {
        if (e.type === 'DELETED') this.unserve(e.object.obj.metadata.name!);
        else this.queue.add(e.object.obj.metadata.name!);
      }
    });
    this.cancel = sub?.cancel;
    for (const c of this.ctx.cache.list(def.storagePath)) this.queue.add(c.obj.metadata.name!);
  }

  stop(): void {
    this.queue.stop();
    this.cancel?.();
  }

  private serve(crd: KObject): void {
    const name = crd.metadata.name!;
    const { definitions, schemas } = servedCustomResource(crd);
    const previous = this.served.get(name);
    if (previous) this.schemas.removeCustom(previous.schemaNames.filter((n) => !(n in schemas)));
    this.schemas.setCustom(schemas);
    this.ctx.table.remove((d) => !!d.custom && d.group === crd.spec.group && d.plural === crd.spec.names.plural);
    this.ctx.table.add(definitions);
    this.served.set(name, { group: crd.spec.group, plural: crd.spec.names.plural, schemaNames: Object.keys(schemas) });
  }

  private unserve(name: string): void {
    const s = this.served.get(name);
    if (!s) return;
    this.served.delete(name);
    this.ctx.table.remove((d) => !!d.custom && d.group === s.group && d.plural === s.plural);
    this.schemas.removeCustom(s.schemaNames);
    log.info(`stopped serving ${s.plural}.${s.group}`);
  }

  /** A name already served by a built-in or another CRD cannot be taken. */
  private conflict(crd: KObject): string | undefined {
    const { group, names } = crd.spec;
    const taken = this.ctx.table.all().find((d) => d.group === group && d.plural === names.plural && !this.servedBy(crd.metadata.name!, d));
    return taken ? `"${names.plural}" is already in use` : undefined;
  }

  private servedBy(name: string, d: ResourceDefinition): boolean {
    const s = this.served.get(name);
    return !!d.custom && !!s && s.group === d.group && s.plural === d.plural;
  }

  async reconcile(name: string): Promise<boolean> {
    const def = this.def;
    const cached = this.ctx.cache.get(def.storagePath, `/registry/${def.storagePath}/${name}`);
    if (!cached) return true;
    const crd = cached.obj;
    if (crd.metadata.deletionTimestamp) return this.cleanup(crd);
    const conflict = this.conflict(crd);
    if (!conflict) this.serve(crd);
    const now = timestamp(new Date());
    const condition = (type: string, status: string, reason: string, message: string) => {
      const old = (crd.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
      return { type, status, reason, message, lastTransitionTime: old?.status === status ? old.lastTransitionTime : now };
    };
    const names = { ...crd.spec.names, singular: crd.spec.names.singular ?? crd.spec.names.kind.toLowerCase(), listKind: crd.spec.names.listKind ?? `${crd.spec.names.kind}List` };
    const storage = (crd.spec.versions ?? []).find((v: { storage?: boolean }) => v.storage)?.name;
    const status = {
      conditions: conflict
        ? [condition('NamesAccepted', 'False', 'NameConflict', conflict), condition('Established', 'False', 'NotAccepted', 'not all names are accepted')]
        : [condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found'), condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted')],
      acceptedNames: conflict ? (crd.status?.acceptedNames ?? { plural: '', kind: '' }) : names,
      storedVersions: [...new Set([...(crd.status?.storedVersions ?? []), ...(storage ? [storage] : [])])],
    };
    const needsFinalizer = !(crd.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER);
    if (JSON.stringify(status) !== JSON.stringify(crd.status) || needsFinalizer) {
      await this.ctx.store.update(def, '', name, (current) => {
        if (!current) throw new ApiError(404, 'NotFound', `customresourcedefinitions.apiextensions.k8s.io "${name}" not found`);
        current.status = status;
        if (!(current.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) current.metadata.finalizers = [...(current.metadata.finalizers ?? []), CLEANUP_FINALIZER];
        return current;
      }, systemContext('finalize'));
      if (!conflict) log.info(`serving ${crd.spec.names.plural}.${crd.spec.group}`);
    }
    return true;
  }

  /** Deletes every custom resource of a CRD being deleted, then lets the CRD go. */
  private async cleanup(crd: KObject): Promise<boolean> {
    const def = this.def;
    const stored = this.ctx.table.all().find((d) => d.custom && d.group === crd.spec.group && d.plural === crd.spec.names.plural && !d.conversion);
    if (stored) {
      const remaining = this.ctx.cache.list(stored.storagePath);
      for (const c of remaining) {
        if (c.obj.metadata.deletionTimestamp) continue;
        try {
          await this.ctx.store.delete(stored, c.obj.metadata.namespace ?? '', c.obj.metadata.name!, {}, systemContext());
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
        }
      }
      if (this.ctx.cache.list(stored.storagePath).length > 0) return false;
    }
    if (!(crd.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) return true;
    await this.ctx.store.update(def, '', crd.metadata.name!, (current) => {
      if (!current) throw new ApiError(404, 'NotFound', 'gone');
      current.metadata.finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
      return current;
    }, systemContext('finalize'));
    return true;
  }
}
