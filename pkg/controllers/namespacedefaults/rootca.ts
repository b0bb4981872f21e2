/**
 * kube-controller-manager's root-ca-cert-publisher: every namespace holds the ConfigMap
 * `kube-root-ca.crt` with the CA that signs the API server's certificate, which pods use to
 * trust kubernetes.default.svc (the kube-api-access volume mounts it). Made again if deleted,
 * put back if edited.
 */
import type { KObject } from '../../api/types.ts';
import { isClientError } from '../../client/errors.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { NamespacePublisher, createIgnoringRaces } from './namespaces.ts';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

type ConfigMap = KObject & { data?: Record<string, string> };

export class RootCaPublisher extends NamespacePublisher {
  readonly name = 'root-ca-cert-publisher';
  private configMaps!: Informer<ConfigMap>;
  private caPem = '';

  constructor() {
    super('root-ca-cert-publisher', 'root-ca-cert-publisher');
  }

  protected follow(ctx: ControllerContext): void {
    this.caPem = ctx.config.rootCaPem;
    this.configMaps = ctx.informers.informerFor<ConfigMap>({ version: 'v1', resource: 'configmaps' });
    const ours = (cm: ConfigMap) => {
      if (cm.metadata.name === ROOT_CA_CONFIGMAP) this.queue.add(cm.metadata.namespace!);
    };
    this.configMaps.onUpdate((_, cm) => ours(cm)).onDelete(ours);
  }

  protected async publish(namespace: string): Promise<void> {
    const path = resourcePath({ version: 'v1', resource: 'configmaps', namespace });
    const current = this.configMaps.get(`${namespace}/${ROOT_CA_CONFIGMAP}`);
    if (!current) {
      await createIgnoringRaces(this.client, path, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
        data: { 'ca.crt': this.caPem },
      } as ConfigMap);
      return;
    }
    const annotations = current.metadata.annotations ?? {};
    const dataOk = Object.keys(current.data ?? {}).length === 1 && current.data?.['ca.crt'] === this.caPem;
    if (dataOk && annotations[DESCRIPTION_ANNOTATION] === DESCRIPTION) return;
    try {
      await this.client.update(`${path}/${ROOT_CA_CONFIGMAP}`, {
        ...current,
        metadata: { ...current.metadata, annotations: { ...annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
        data: { 'ca.crt': this.caPem },
      } as ConfigMap);
    } catch (err) {
      // Written at the cached resourceVersion: a conflict means it changed again, and that event requeues.
      if (!isClientError(err, 'Conflict') && !isClientError(err, 'NotFound')) throw err;
    }
  }
}

export const rootCaPublisher = (): Controller => new RootCaPublisher();
