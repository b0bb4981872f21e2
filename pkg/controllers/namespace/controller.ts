/**
 * The namespace controller (kube-controller-manager's namespace-controller): a namespace being
 * deleted (deletionTimestamp set, phase Terminating) has everything in it deleted, its
 * conditions tell what is left, and once it is empty its 'kubernetes' finalizer is removed
 * through /finalize, which lets the API server delete it. Without it `kubectl delete namespace`
 * never ends (as in Kubernetes when the controller manager does not run).
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../log/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { conditionsFor, mergeConditions, type NamespaceCondition } from './conditions.ts';
import { deleteNamespaceContent } from './content.ts';

const log = logger('namespace-controller');
const SERVICE_ACCOUNT = 'namespace-controller';
const FINALIZER = 'kubernetes';
/** Pods still finishing (a kubelet confirms their end): look again after this long. */
const PODS_RECHECK_MS = 2000;
/**
 * Content held by finalizers: Kubernetes estimates 15 s for them and looks again after half
 * the estimate plus one second.
 */
const FINALIZERS_RECHECK_MS = 8500;

type Namespace = KObject & { spec?: { finalizers?: string[] }; status?: { phase?: string; conditions?: NamespaceCondition[] } };

const nsPath = (name: string, subresource?: string) => resourcePath({ version: 'v1', resource: 'namespaces', name, subresource });

export class NamespaceController implements Controller {
  readonly name = 'namespace-controller';
  private namespaces!: Informer<Namespace>;
  private client!: Client;
  private readonly queue = new WorkQueue((name) => this.reconcile(name), { name: 'namespace', workers: 2, paused: true, maxRetryMs: 30_000 });

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.namespaces = ctx.informers.informerFor<Namespace>({ version: 'v1', resource: 'namespaces' });
    const enqueue = (ns: Namespace) => {
      if (ns.metadata.deletionTimestamp) this.queue.add(ns.metadata.name!);
    };
    this.namespaces.onAdd(enqueue).onUpdate((_, ns) => enqueue(ns));
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  private async reconcile(name: string): Promise<boolean | number> {
    if (!this.namespaces.get(name)?.metadata.deletionTimestamp) return true;
    // The cache may lag (a namespace deleted and made again under the same name): act on the live one.
    let ns: Namespace;
    try {
      ns = await this.client.get<Namespace>(nsPath(name));
    } catch (err) {
      if (isClientError(err, 'NotFound')) return true;
      throw err;
    }
    if (!ns.metadata.deletionTimestamp || !(ns.spec?.finalizers ?? []).includes(FINALIZER)) return true;
    const report = await deleteNamespaceContent(this.client, name);
    const conditions = mergeConditions(ns.status?.conditions ?? [], conditionsFor(report), new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'));
    if (conditions) ns = await this.writeStatus(ns, conditions);
    if (report.discoveryFailures.length > 0 || report.deleteFailures.length > 0) return false;
    if (report.finalizers.size > 0) return FINALIZERS_RECHECK_MS;
    if (report.remaining.has('pods')) return PODS_RECHECK_MS;
    // Deleted but still listed (the deletes are just behind): retry soon, backing off.
    if (report.remaining.size > 0) return false;
    await this.client.update(nsPath(name, 'finalize'), { ...ns, spec: { ...ns.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== FINALIZER) } });
    log.info(`namespace ${name} emptied and finalized`);
    return true;
  }

  private async writeStatus(ns: Namespace, conditions: NamespaceCondition[]): Promise<Namespace> {
    try {
      return await this.client.update<Namespace>(nsPath(ns.metadata.name!, 'status'), { ...ns, status: { ...ns.status, conditions } });
    } catch (err) {
      // Conditions are informative: a conflict must not hold back the finalization; next pass writes them.
      if (isClientError(err, 'Conflict')) return ns;
      throw err;
    }
  }
}

export const namespaceController = (): Controller => new NamespaceController();
