/**
 * endpoint-controller: the core/v1 Endpoints object of every Service with a selector, named as
 * the service, from the pods it selects (computeSubsets). It records when the change that
 * caused a write happened (endpoints.kubernetes.io/last-change-trigger-time), marks cut lists
 * (endpoints.kubernetes.io/over-capacity: truncated), and removes the Endpoints of a deleted
 * service. Services without a selector (the API server's `kubernetes`) are left alone.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import { byNamespace } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { canonicalJson as canonical } from '../history/revision.ts';
import { managesEndpoints, selects, servicesSelecting } from '../endpointslice/pods.ts';
import { computeSubsets } from './subsets.ts';

const SA = 'endpoint-controller';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
const MANAGED_BY_LABEL = 'endpoints.kubernetes.io/managed-by';
const HEADLESS_LABEL = 'service.kubernetes.io/headless';

/** RFC 3339 with nanoseconds, as Go's time.RFC3339Nano writes it (trailing zeros dropped). */
function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0*Z$/, 'Z');
}

export class EndpointsController implements Controller {
  readonly name = 'endpoint-controller';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: this.name, workers: 2, paused: true });
  /** Per service: when the earliest change not yet written happened. */
  private readonly triggers = new Map<string, number>();
  private services!: Informer;
  private pods!: Informer;
  private endpoints!: Informer;
  private client!: Client;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SA);
    this.services = ctx.informers.informerFor({ version: 'v1', resource: 'services' }).addIndex('namespace', byNamespace);
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' }).addIndex('namespace', byNamespace);
    this.endpoints = ctx.informers.informerFor({ version: 'v1', resource: 'endpoints' });
    const enqueue = (key: string) => {
      if (!this.triggers.has(key)) this.triggers.set(key, Date.now());
      this.queue.add(key);
    };
    const serviceKey = (obj: KObject) => enqueue(`${obj.metadata.namespace}/${obj.metadata.name}`);
    this.services.onAdd(serviceKey).onUpdate((_o, n) => serviceKey(n)).onDelete(serviceKey);
    const podChanged = (...pods: KObject[]) => {
      for (const key of servicesSelecting(this.services.byIndex('namespace', pods[0]!.metadata.namespace!), ...pods)) enqueue(key);
    };
    this.pods.onAdd((p) => podChanged(p)).onUpdate((o, n) => podChanged(o, n)).onDelete((p) => podChanged(p));
    // Someone else changed or removed the Endpoints: put them right.
    const endpointsChanged = (ep: KObject) => {
      const key = `${ep.metadata.namespace}/${ep.metadata.name}`;
      if (this.services.get(key)) this.queue.add(key);
    };
    this.endpoints.onUpdate((_o, n) => endpointsChanged(n)).onDelete(endpointsChanged);
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean> {
    const [namespace, name] = key.split('/') as [string, string];
    const path = resourcePath({ version: 'v1', resource: 'endpoints', namespace });
    const svc = this.services.get(key);
    const current = this.endpoints.get(key);
    if (!svc) {
      this.triggers.delete(key);
      if (!current) return true;
      try {
        await this.client.delete(`${path}/${encodeURIComponent(name)}`);
      } catch (err) {
        if (!isClientError(err) || err.code !== 404) throw err;
      }
      return true;
    }
    if (!managesEndpoints(svc) || svc.metadata.deletionTimestamp) {
      this.triggers.delete(key);
      return true;
    }
    const pods = this.pods.byIndex('namespace', namespace).filter((p) => selects(svc, p));
    const { subsets, truncated } = computeSubsets(svc, pods);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}), [MANAGED_BY_LABEL]: SA };
    if (svc.spec?.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    if (truncated) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    const unchanged =
      current &&
      canonical(current.subsets ?? []) === canonical(subsets) &&
      canonical(current.metadata.labels ?? {}) === canonical(labels) &&
      current.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] === annotations[OVER_CAPACITY_ANNOTATION];
    const trigger = this.triggers.get(key);
    this.triggers.delete(key);
    if (unchanged) return true;
    if (trigger !== undefined) annotations[TRIGGER_TIME_ANNOTATION] = rfc3339Nano(trigger);
    const metadata: KObject['metadata'] = { ...(current?.metadata ?? {}), name, namespace, labels, annotations };
    const desired = { apiVersion: 'v1', kind: 'Endpoints', metadata, subsets } as KObject;
    try {
      if (current) await this.client.update(`${path}/${encodeURIComponent(name)}`, desired);
      else await this.client.create(path, desired);
    } catch (err) {
      // The cache was behind (409) or the object appeared or went meanwhile: try again from fresh data.
      if (isClientError(err) && [404, 409].includes(err.code)) {
        if (trigger !== undefined && !this.triggers.has(key)) this.triggers.set(key, trigger);
        return false;
      }
      throw err;
    }
    return true;
  }
}

export const endpointsController = (): Controller => new EndpointsController();
