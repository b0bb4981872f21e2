/**
 * What every cluster has from its first start: the system namespaces, the `kubernetes`
 * Service in default, and the default RBAC policy. Created when missing; an existing object a
 * user changed is left alone. The Service's endpoints list the live API servers
 * (endpoints.ts keeps them).
 */
import type { KObject, StrategyContext } from '../api/types.ts';
import { ApiError } from '../apiserver/errors.ts';
import { storageKey } from '../apiserver/storage/codec.ts';
import { SYSTEM_PRIORITY_CLASSES } from '../api/resources/scheduling/priorityclass.ts';
import type { ApiContext } from '../apiserver/handlers/context.ts';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapRoleBindings, bootstrapRoles } from '../auth/rbac/bootstrap.ts';
import { reconcileBinding, reconcileRole } from '../auth/rbac/reconcile.ts';
import { firstIp } from '../auth/sans.ts';
import { logger } from '../log/log.ts';

const log = logger('apiserver');

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function systemContext(): StrategyContext {
  return { user: { username: 'system:apiserver', groups: ['system:masters'] }, now: new Date(), dryRun: false, subresource: '' };
}

async function createIfMissing(ctx: ApiContext, group: string, resource: string, obj: KObject): Promise<boolean> {
  const def = ctx.table.get(group, 'v1', resource);
  if (!def) return false;
  if (ctx.cache.get(def.storagePath, storageKey(def, obj.metadata.namespace ?? '', obj.metadata.name!))) return false;
  try {
    await ctx.store.create(def, obj, systemContext());
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'AlreadyExists') return false;
    throw err;
  }
}

/**
 * Brings an existing bootstrap policy object up to this release's (missing rules or subjects
 * added, as kube-apiserver does at start), so an upgraded cluster's components get what the new
 * code needs. Returns whether it wrote.
 */
async function reconcileIfStale(ctx: ApiContext, resource: string, expected: KObject): Promise<boolean> {
  const def = ctx.table.get('rbac.authorization.k8s.io', 'v1', resource);
  if (!def) return false;
  const reconcile = resource.endsWith('bindings') ? reconcileBinding : reconcileRole;
  const cached = ctx.cache.get(def.storagePath, storageKey(def, expected.metadata.namespace ?? '', expected.metadata.name!));
  if (!cached || !reconcile(cached.obj, expected)) return false;
  let wrote = false;
  await ctx.store.update(def, expected.metadata.namespace ?? '', expected.metadata.name!, (current) => {
    const updated = current && reconcile(current, expected);
    if (!updated) return current!;
    wrote = true;
    // No resourceVersion: a concurrent writer makes the store read again and reconcile anew.
    delete updated.metadata.resourceVersion;
    return updated;
  }, systemContext());
  return wrote;
}

export interface BootstrapOptions {
  serviceCidr: string;
  port: number;
}

export async function ensureBootstrapObjects(ctx: ApiContext, opts: BootstrapOptions): Promise<void> {
  let created = 0;
  for (const name of SYSTEM_NAMESPACES) {
    if (await createIfMissing(ctx, '', 'namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } })) created++;
  }
  // Namespaced bootstrap objects (e.g. the kube-node-lease Role) pass NamespaceLifecycle only
  // once the cache shows their namespace; with an external etcd the cache trails the writes.
  await ctx.cache.waitFor(await ctx.store.currentRevision(), 10_000);
  const policy: [string, KObject[]][] = [
    ['clusterroles', bootstrapClusterRoles() as KObject[]],
    ['clusterrolebindings', bootstrapClusterRoleBindings() as KObject[]],
    ['roles', bootstrapRoles() as KObject[]],
    ['rolebindings', bootstrapRoleBindings() as KObject[]],
  ];
  // Concurrent creates share the datastore's group commits: a first start stays fast.
  const results = await Promise.all(policy.flatMap(([resource, objects]) => objects.map((obj) => createIfMissing(ctx, 'rbac.authorization.k8s.io', resource, structuredClone(obj)))));
  created += results.filter(Boolean).length;
  const updates = await Promise.all(policy.flatMap(([resource, objects]) => objects.map((obj) => reconcileIfStale(ctx, resource, obj))));
  const updated = updates.filter(Boolean).length;
  if (updated > 0) log.info(`added this release's rules or subjects to ${updated} existing default RBAC objects`);
  for (const [name, value] of Object.entries(SYSTEM_PRIORITY_CLASSES)) {
    const description = name === 'system-node-critical' ? 'Used for system critical pods that must not be moved from their current node.' : 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.';
    if (await createIfMissing(ctx, 'scheduling.k8s.io', 'priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, description, preemptionPolicy: 'PreemptLowerPriority' } as KObject)) created++;
  }
  const labels = { component: 'apiserver', provider: 'kubernetes' };
  await createIfMissing(ctx, '', 'services', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels },
    spec: {
      clusterIP: firstIp(opts.serviceCidr.split(',')[0]!),
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.port }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
  });
  if (created > 0) log.info(`created ${created} bootstrap objects (system namespaces, default RBAC policy, system priority classes)`);
}
