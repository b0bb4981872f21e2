/**
 * One pass of emptying a namespace, as Kubernetes' namespaced-resources deleter: for every
 * namespaced resource the server serves (preferred version, CRDs included), delete the
 * collection (or each object when deletecollection is not served), then list what is left and
 * which finalizers hold it.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import { resourcePath } from '../../client/paths.ts';
import { discover, supports, type ApiResource } from '../garbagecollector/discovery.ts';
import type { ContentReport } from './conditions.ts';

/** Kubernetes' GroupResource string: "configmaps", "deployments.apps". */
function groupResource(r: ApiResource): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

async function deleteAll(client: Client, r: ApiResource, namespace: string): Promise<void> {
  const path = resourcePath({ group: r.group, version: r.version, resource: r.resource, namespace });
  if (supports(r, 'deletecollection')) {
    await client.request('DELETE', path, JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' }));
    return;
  }
  const list = await client.list(path);
  for (const item of list.items) {
    if (item.metadata.deletionTimestamp) continue;
    try {
      await client.delete(`${path}/${encodeURIComponent(item.metadata.name!)}`, { propagationPolicy: 'Background' });
    } catch (err) {
      if (!isClientError(err, 'NotFound')) throw err;
    }
  }
}

export async function deleteNamespaceContent(client: Client, namespace: string): Promise<ContentReport> {
  const found = await discover(client);
  const report: ContentReport = { discoveryFailures: found.failures, deleteFailures: [], remaining: new Map(), finalizers: new Map() };
  const resources = found.preferred.filter((r) => r.namespaced && supports(r, 'list', 'delete'));
  await Promise.all(
    resources.map(async (r) => {
      try {
        await deleteAll(client, r, namespace);
        const left = await client.list<KObject>(resourcePath({ group: r.group, version: r.version, resource: r.resource, namespace }));
        if (left.items.length === 0) return;
        report.remaining.set(groupResource(r), left.items.length);
        for (const item of left.items) for (const f of item.metadata.finalizers ?? []) report.finalizers.set(f, (report.finalizers.get(f) ?? 0) + 1);
      } catch (err) {
        // The namespace's own content may be forbidden or already gone mid-pass; report and retry.
        if (isClientError(err, 'NotFound') || isClientError(err, 'MethodNotAllowed')) return;
        report.deleteFailures.push(`${groupResource(r)}: ${(err as Error).message}`);
      }
    }),
  );
  return report;
}
