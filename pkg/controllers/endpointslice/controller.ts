/**
 * endpointslice-controller: every Service with a selector gets EndpointSlices listing the
 * addresses, readiness and ports of the pods it selects (planSlices decides the shape). Slices
 * carry the service's name label and this controller's managed-by label and are owned by the
 * service; slices made by others (the API server's own `kubernetes` slice, user slices for
 * selector-less services) are never touched.
 */
import type { KObject } from '../../api/types.ts';
import { byNamespace } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL } from './plan.ts';
import { managesEndpoints, selects, servicesSelecting } from './pods.ts';
import { WriteTracker } from './tracker.ts';
import { SliceWriter } from './writer.ts';

const SA = 'endpointslice-controller';
const GROUP = 'discovery.k8s.io';
/** While our own writes are not in the cache yet, look again this soon. */
const STALE_RETRY_MS = 100;

export const sliceService = (slice: KObject): string[] => {
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
  private writer!: SliceWriter;

  init(ctx: ControllerContext): void {
    this.writer = new SliceWriter(ctx.clientFor(SA), this.tracker);
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
      for (const slice of existing) await this.writer.remove(key, slice);
      return true;
    }
    // Services without a selector get their slices from elsewhere (the API server, the user).
    if (!managesEndpoints(svc)) return true;
    const ours = existing.filter((s) => s.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid));
    // Slices of an earlier service of the same name: not ours to keep.
    for (const slice of existing) if (!ours.includes(slice)) await this.writer.remove(key, slice);
    const pods = this.pods.byIndex('namespace', namespace).filter((p) => selects(svc, p));
    return this.writer.apply(key, namespace, planSlices(svc, pods, ours, this.zoneOf));
  }
}

export const endpointSliceController = (): Controller => new EndpointSliceController();
