/**
 * The service-account controller of kube-controller-manager: every namespace has a `default`
 * ServiceAccount from its creation, made again if deleted. Pods that name no account use it.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { createIgnoringRaces, isLive } from './namespaces.ts';

const SERVICE_ACCOUNT = 'service-account-controller';
const DEFAULT_ACCOUNT = 'default';

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount-controller';
  private namespaces!: Informer;
  private accounts!: Informer;
  private client!: Client;
  private readonly queue = new WorkQueue((ns) => this.reconcile(ns), { name: 'serviceaccount', workers: 2, paused: true });

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.namespaces = ctx.informers.informerFor({ version: 'v1', resource: 'namespaces' });
    this.accounts = ctx.informers.informerFor({ version: 'v1', resource: 'serviceaccounts' });
    const enqueue = (ns: KObject) => this.queue.add(ns.metadata.name!);
    this.namespaces.onAdd(enqueue).onUpdate((_, ns) => enqueue(ns));
    this.accounts.onDelete((sa) => {
      if (sa.metadata.name === DEFAULT_ACCOUNT) this.queue.add(sa.metadata.namespace!);
    });
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  private async reconcile(namespace: string): Promise<boolean> {
    if (!isLive(this.namespaces.get(namespace))) return true;
    if (this.accounts.get(`${namespace}/${DEFAULT_ACCOUNT}`)) return true;
    await createIgnoringRaces(this.client, resourcePath({ version: 'v1', resource: 'serviceaccounts', namespace }), {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: DEFAULT_ACCOUNT, namespace },
    });
    return true;
  }
}

export const serviceAccountController = (): Controller => new ServiceAccountController();
