/**
 * The service-account controller of kube-controller-manager: every namespace has a `default`
 * ServiceAccount from its creation, made again if deleted. Pods that name no account use it.
 */
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { NamespacePublisher, createIgnoringRaces } from './namespaces.ts';

const DEFAULT_ACCOUNT = 'default';

export class ServiceAccountController extends NamespacePublisher {
  readonly name = 'serviceaccount-controller';
  private accounts!: Informer;

  constructor() {
    super('serviceaccount', 'service-account-controller');
  }

  protected follow(ctx: ControllerContext): void {
    this.accounts = ctx.informers.informerFor({ version: 'v1', resource: 'serviceaccounts' });
    this.accounts.onDelete((sa) => {
      if (sa.metadata.name === DEFAULT_ACCOUNT) this.queue.add(sa.metadata.namespace!);
    });
  }

  protected async publish(namespace: string): Promise<void> {
    if (this.accounts.get(`${namespace}/${DEFAULT_ACCOUNT}`)) return;
    await createIgnoringRaces(this.client, resourcePath({ version: 'v1', resource: 'serviceaccounts', namespace }), {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: DEFAULT_ACCOUNT, namespace },
    });
  }
}

export const serviceAccountController = (): Controller => new ServiceAccountController();
