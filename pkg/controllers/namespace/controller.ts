/**
 * The namespace controller: a namespace being deleted (deletionTimestamp set, phase
 * Terminating) has everything in it deleted, then its 'kubernetes' finalizer removed through
 * /finalize, which lets the store delete it. Without this `kubectl delete namespace` never ends.
 *
 * It runs in the API server process on the watch cache and store (the client library with
 * informers comes with the control-plane issue); the shape is already informer → queue →
 * reconcile(key), so moving it onto an API client changes only where events come from.
 */
import type { ResourceDefinition, StrategyContext } from '../../api/types.ts';
import { ApiError } from '../../apiserver/errors.ts';
import type { ApiContext } from '../../apiserver/handlers/context.ts';
import { storageKey, storagePrefix } from '../../apiserver/storage/codec.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../log/log.ts';

const log = logger('namespace');
const FINALIZER = 'kubernetes';

function systemContext(subresource = ''): StrategyContext {
  return { user: { username: 'system:serviceaccount:kube-system:namespace-controller', groups: ['system:masters'] }, now: new Date(), dryRun: false, subresource };
}

export class NamespaceController {
  private cancel?: () => void;
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: 'namespace' });

  constructor(private readonly ctx: ApiContext) {}

  private get nsDef(): ResourceDefinition {
    return this.ctx.table.get('', 'v1', 'namespaces')!;
  }

  start(): void {
    const def = this.nsDef;
    const sub = this.ctx.cache.subscribe(def.storagePath, this.ctx.cache.revision, (events) => {
      for (const e of events) if (e.type !== 'DELETED' && e.object.obj.metadata.deletionTimestamp) this.queue.add(e.object.obj.metadata.name!);
    });
    this.cancel = sub?.cancel;
    for (const c of this.ctx.cache.list(def.storagePath)) if (c.obj.metadata.deletionTimestamp) this.queue.add(c.obj.metadata.name!);
  }

  stop(): void {
    this.queue.stop();
    this.cancel?.();
  }

  /** Returns true when done with this namespace (gone, not being deleted, or finalized). */
  async reconcile(name: string): Promise<boolean> {
    const def = this.nsDef;
    const ns = this.ctx.cache.get(def.storagePath, storageKey(def, '', name))?.obj;
    if (!ns || !ns.metadata.deletionTimestamp) return true;
    let remaining = 0;
    for (const d of this.ctx.table.all()) {
      if (!d.namespaced || d.virtual || d.conversion) continue;
      for (const c of this.ctx.cache.list(d.storagePath, storagePrefix(d, name))) {
        remaining++;
        if (c.obj.metadata.deletionTimestamp) continue;
        try {
          await this.ctx.store.delete(d, name, c.obj.metadata.name!, { propagationPolicy: 'Background' }, systemContext());
        } catch (err) {
          if (!(err instanceof ApiError && err.reason === 'NotFound')) throw err;
        }
      }
    }
    if (remaining > 0) return false;
    if (!(ns.spec?.finalizers ?? []).includes(FINALIZER)) return true;
    await this.ctx.store.update(def, '', name, (current) => {
      if (!current) throw new ApiError(404, 'NotFound', `namespaces "${name}" not found`);
      current.spec = { ...current.spec, finalizers: (current.spec?.finalizers ?? []).filter((f: string) => f !== FINALIZER) };
      return current;
    }, systemContext('finalize'));
    log.info(`namespace ${name} emptied and finalized`);
    return true;
  }
}
