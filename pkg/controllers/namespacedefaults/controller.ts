/**
 * What every namespace holds from its creation in Kubernetes, put there by two controllers of
 * kube-controller-manager: the `default` ServiceAccount (serviceaccounts-controller) and the
 * `kube-root-ca.crt` ConfigMap with the CA that signs the API server's certificate
 * (root-ca-cert-publisher), which pods use to trust kubernetes.default.svc. Recreated if deleted,
 * put back if edited (the ConfigMap), as those controllers do.
 *
 * Runs in the API server process on the watch cache, like the namespace controller (see
 * NOTES.md: both move onto informers with the control-plane issue).
 */
import type { KObject, ResourceDefinition, StrategyContext } from '../../api/types.ts';
import { ApiError } from '../../apiserver/errors.ts';
import type { ApiContext } from '../../apiserver/handlers/context.ts';
import { storageKey } from '../../apiserver/storage/codec.ts';
import { WorkQueue } from '../../client/workqueue.ts';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const ROOT_CA_DESCRIPTION = 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

function systemContext(manager: string): StrategyContext {
  return { user: { username: `system:serviceaccount:kube-system:${manager}`, groups: ['system:masters'] }, now: new Date(), dryRun: false, subresource: '', fieldManager: 'kube-controller-manager' };
}

export class NamespaceDefaultsController {
  private readonly queue = new WorkQueue((ns) => this.reconcile(ns), { name: 'namespace-defaults' });
  private readonly cancels: (() => void)[] = [];

  constructor(private readonly ctx: ApiContext, private readonly caPem: string) {}

  private def(resource: string): ResourceDefinition {
    return this.ctx.table.get('', 'v1', resource)!;
  }

  start(): void {
    const namespaces = this.def('namespaces');
    const sub = this.ctx.cache.subscribe(namespaces.storagePath, this.ctx.cache.revision, (events) => {
      for (const e of events) if (e.type !== 'DELETED') this.queue.add(e.object.obj.metadata.name!);
    });
    if (sub) this.cancels.push(sub.cancel);
    // A deleted or changed default object is put back: follow them too.
    for (const resource of ['serviceaccounts', 'configmaps']) {
      const def = this.def(resource);
      const s = this.ctx.cache.subscribe(def.storagePath, this.ctx.cache.revision, (events) => {
        for (const e of events) {
          const name = e.object.obj.metadata.name;
          if (name === 'default' || name === ROOT_CA_CONFIGMAP) this.queue.add(e.object.obj.metadata.namespace!);
        }
      });
      if (s) this.cancels.push(s.cancel);
    }
    for (const c of this.ctx.cache.list(namespaces.storagePath)) this.queue.add(c.obj.metadata.name!);
  }

  stop(): void {
    this.queue.stop();
    for (const cancel of this.cancels) cancel();
  }

  async reconcile(namespace: string): Promise<boolean> {
    const nsDef = this.def('namespaces');
    const ns = this.ctx.cache.get(nsDef.storagePath, storageKey(nsDef, '', namespace))?.obj;
    if (!ns || ns.metadata.deletionTimestamp) return true;
    await this.ensure('serviceaccounts', namespace, 'default', () => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } }), undefined);
    await this.ensure(
      'configmaps',
      namespace,
      ROOT_CA_CONFIGMAP,
      () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } }, data: { 'ca.crt': this.caPem } }),
      (cm) => cm.data?.['ca.crt'] === this.caPem,
    );
    return true;
  }

  /** Creates the object when missing; rewrites it when `current` says it drifted. */
  private async ensure(resource: string, namespace: string, name: string, want: () => KObject, current: ((obj: KObject) => boolean) | undefined): Promise<void> {
    const def = this.def(resource);
    const existing = this.ctx.cache.get(def.storagePath, storageKey(def, namespace, name))?.obj;
    if (existing && (!current || current(existing))) return;
    const ctx = systemContext(resource === 'configmaps' ? 'root-ca-cert-publisher' : 'service-account-controller');
    try {
      if (!existing) await this.ctx.store.create(def, want(), ctx);
      else await this.ctx.store.update(def, namespace, name, (obj) => ({ ...want(), metadata: { ...want().metadata, ...obj?.metadata, resourceVersion: undefined } }), ctx);
    } catch (err) {
      // Raced with another writer or with the namespace going away: the next event tells.
      if (err instanceof ApiError && ['AlreadyExists', 'NotFound', 'Conflict', 'Forbidden'].includes(err.reason)) return;
      throw err;
    }
  }
}
