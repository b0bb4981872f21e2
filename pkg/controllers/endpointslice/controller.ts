/**
 * endpointslice-controller: every Service with a selector gets EndpointSlices listing the
 * addresses, readiness and ports of the pods it selects (planSlices decides the shape). Slices
 * carry the service's name label and this controller's managed-by label and are owned by the
 * service; slices made by others (the API server's own `kubernetes` slice, user slices for
 * selector-less services) are never touched.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import { byNamespace } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL } from './plan.ts';
import { managesEndpoints, selects, servicesSelecting } from './pods.ts';
import { WriteTracker } from './tracker.ts';

const SA = 'endpointslice-controller';
const GROUP = 'discovery.k8s.io';
/** While our own writes are not in the cache yet, look again this soon. */
const STALE_RETRY_MS = 100;

const sliceService = (slice: KObject): string[] => {
  const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return svc ? [`${slice.metadata.namespace}/${svc}`] : [];
};

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice-controller';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: this.name, workers: 2, paused: true });
  private readonly tracker = new WriteTracker();
  private services!: Informer;
  private pods!: Informer;
  private slices!: Informer;
  private nodes!: Informer;
  private client!: Client;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SA);
    this.services = ctx.informers.informerFor({ version: 'v1', resource: 'services' }).addIndex('namespace', byNamespace);
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' }).addIndex('namespace', byNamespace);
    this.nodes = ctx.informers.informerFor({ version: 'v1', resource: 'nodes' });
    this.slices = ctx.informers
      .informerFor({ group: GROUP, version: 'v1', resource: 'endpointslices', labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` })
      .addIndex('service', sliceService);
    const enqueue = (obj: KObject) => this.queue.add(`${obj.metadata.namespace}/${obj.metadata.name}`);
    this.services.onAdd(enqueue).onUpdate((_o, n) => enqueue(n)).onDelete(enqueue);
    const podChanged = (...pods: KObject[]) => {
      for (const key of servicesSelecting(this.services.byIndex('namespace', pods[0]!.metadata.namespace!), ...pods)) this.queue.add(key);
    };
    this.pods.onAdd((p) => podChanged(p)).onUpdate((o, n) => podChanged(o, n)).onDelete((p) => podChanged(p));
    const sliceChanged = (s: KObject) => sliceService(s).forEach((key) => this.queue.add(key));
    this.slices.onAdd(sliceChanged).onUpdate((_o, n) => sliceChanged(n)).onDelete(sliceChanged);
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  private zoneOf = (node: string): string | undefined => this.nodes.get(node)?.metadata.labels?.['topology.kubernetes.io/zone'];

  async reconcile(key: string): Promise<boolean | number> {
    const namespace = key.slice(0, key.indexOf('/'));
    const lookup = (slice: string) => this.slices.get(`${namespace}/${slice}`);
    if (!this.tracker.observed(key, lookup)) return STALE_RETRY_MS;
    const svc = this.services.get(key);
    const existing = this.slices.byIndex('service', key).filter((s) => !s.metadata.deletionTimestamp);
    if (!svc || svc.metadata.deletionTimestamp) {
      // The garbage collector would remove them through their owner reference; doing it here does not wait for it.
      for (const slice of existing) await this.remove(key, slice);
      return true;
    }
    // Services without a selector get their slices from elsewhere (the API server, the user).
    if (!managesEndpoints(svc)) return true;
    const ours = existing.filter((s) => s.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid));
    // Slices of an earlier service of the same name: not ours to keep.
    for (const slice of existing) if (!ours.includes(slice)) await this.remove(key, slice);
    const pods = this.pods.byIndex('namespace', namespace).filter((p) => selects(svc, p));
    const plan = planSlices(svc, pods, ours, this.zoneOf);
    const path = resourcePath({ group: GROUP, version: 'v1', resource: 'endpointslices', namespace });
    try {
      // Creates and updates before deletes, so no endpoint is missing in between.
      for (const slice of plan.create) this.tracker.wrote(key, await this.client.create(path, slice));
      for (const slice of plan.update) this.tracker.wrote(key, await this.client.update(`${path}/${slice.metadata.name}`, slice));
      for (const slice of plan.delete) await this.remove(key, slice);
    } catch (err) {
      // A conflict or a vanished slice means the cache was behind: plan again from fresh data.
      if (isClientError(err) && (err.code === 409 || err.code === 404)) return false;
      throw err;
    }
    return true;
  }

  private async remove(key: string, slice: KObject): Promise<void> {
    const path = resourcePath({ group: GROUP, version: 'v1', resource: 'endpointslices', namespace: slice.metadata.namespace, name: slice.metadata.name });
    try {
      await this.client.delete(path, { preconditions: { uid: slice.metadata.uid } });
    } catch (err) {
      if (!isClientError(err) || err.code !== 404) throw err;
    }
    this.tracker.deleted(key, slice.metadata.name!);
  }
}

export const endpointSliceController = (): Controller => new EndpointSliceController();
