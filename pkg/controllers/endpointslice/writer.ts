/**
 * Carries out a SlicePlan for the EndpointSlice and mirroring controllers: creates and updates
 * before deletes, so no endpoint is missing in between, and every write noted in the tracker
 * so the next reconcile waits for the informer to show it.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import { resourcePath } from '../../client/paths.ts';
import type { SlicePlan } from './plan.ts';
import type { WriteTracker } from './tracker.ts';

const slicesPath = (namespace: string) => resourcePath({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespace });

export class SliceWriter {
  constructor(private readonly client: Client, private readonly tracker: WriteTracker) {}

  /** False when the cache was behind (a conflict, a vanished slice): plan again from fresh data. */
  async apply(owner: string, namespace: string, plan: SlicePlan): Promise<boolean> {
    const path = slicesPath(namespace);
    try {
      for (const slice of plan.create) this.tracker.wrote(owner, await this.client.create(path, slice));
      for (const slice of plan.update) this.tracker.wrote(owner, await this.client.update(`${path}/${slice.metadata.name}`, slice));
      for (const slice of plan.delete) await this.remove(owner, slice);
    } catch (err) {
      if (isClientError(err) && (err.code === 409 || err.code === 404)) return false;
      throw err;
    }
    return true;
  }

  async remove(owner: string, slice: KObject): Promise<void> {
    try {
      await this.client.delete(`${slicesPath(slice.metadata.namespace!)}/${slice.metadata.name}`, { preconditions: { uid: slice.metadata.uid } });
    } catch (err) {
      if (!isClientError(err) || err.code !== 404) throw err;
    }
    this.tracker.deleted(owner, slice.metadata.name!);
  }
}
