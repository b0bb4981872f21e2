/**
 * ResourceQuota admission: a create, or a service or claim update, that would take a namespace
 * past one of its quotas is refused with Kubernetes' 403 ("exceeded quota: q, requested:
 * pods=1, used: pods=2, limited: pods=2"), and a pod must state the cpu/memory requests or
 * limits a quota covers ("must specify limits.cpu for: app"). What is admitted is charged to
 * status.used of every quota covering it at once, with a compare-and-swap on the quota, so a
 * burst of creates cannot overshoot between two recounts by the resourcequota controller.
 */
import type { KObject, ResourceDefinition, StrategyContext } from '../api/types.ts';
import { compareQuantities } from '../api/validation/index.ts';
import { ApiError, apiErrors } from '../apiserver/errors.ts';
import type { ApiContext } from '../apiserver/handlers/context.ts';
import { storageKey, storagePrefix } from '../apiserver/storage/codec.ts';
import { scopesMatch } from '../controllers/resourcequota/scopes.ts';
import { addUsage, formatList, matchesResource, objectUsage, parseList, prettyPrint, type Usage } from '../controllers/resourcequota/usage.ts';

/** Quota resources a pod's every container must state (a rule Kubernetes keeps for compatibility). */
const STATED_PER_CONTAINER = new Set(['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory']);

interface Container { name: string; resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }

/** "must specify limits.cpu for: a,b; must specify memory for: a", or undefined when every container states them. */
function missingPodResources(pod: KObject, restricted: string[]): string | undefined {
  const required = restricted.filter((n) => STATED_PER_CONTAINER.has(n));
  if (required.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as Container[]) {
    const stated = new Set<string>();
    for (const r of ['cpu', 'memory']) {
      if (c.resources?.requests?.[r] !== undefined) stated.add(r).add(`requests.${r}`);
      if (c.resources?.limits?.[r] !== undefined) stated.add(`limits.${r}`);
    }
    for (const r of required) {
      if (stated.has(r)) continue;
      if (!missing.has(r)) missing.set(r, new Set());
      missing.get(r)!.add(c.name);
    }
  }
  if (missing.size === 0) return undefined;
  return [...missing.keys()].sort().map((r) => `must specify ${r} for: ${[...missing.get(r)!].sort().join(',')}`).join('; ');
}

/** Updates that can take more: a service turned NodePort or LoadBalancer, a claim resized. */
const CHARGED_ON_UPDATE = new Set(['services', 'persistentvolumeclaims']);

/** What an update adds to the old object's usage (never negative: shrinking is the controller's to give back). */
function growth(after: Usage, before: Usage): Usage {
  return new Map([...after].map(([n, q]) => {
    const more = q.nanos - (before.get(n)?.nanos ?? 0n);
    return [n, { nanos: more > 0n ? more : 0n, format: q.format }];
  }));
}

const mask = (usage: Usage, names: Iterable<string>): Usage => {
  const keep = new Set(names);
  return new Map([...usage].filter(([n]) => keep.has(n)));
};

/** The refusal when adding `requested` to the quota's used passes its hard limits, else undefined. */
function exceeded(quota: KObject, requested: Usage): string | undefined {
  const hard = parseList(quota.status?.hard);
  const used = parseList(quota.status?.used);
  const after = new Map(used);
  addUsage(after, requested);
  const over = [...requested.keys()].filter((n) => hard.has(n) && compareQuantities(after.get(n)!, hard.get(n)!) > 0);
  if (over.length === 0) return undefined;
  return `exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(mask(requested, over))}, used: ${prettyPrint(mask(used, over))}, limited: ${prettyPrint(mask(hard, over))}`;
}

function chargeContext(now: Date): StrategyContext {
  return { user: { username: 'system:apiserver', groups: ['system:masters'] }, now, dryRun: false, subresource: 'status', fieldManager: 'kube-apiserver' };
}

/** Runs the functions given for one key one after another (each after the previous settled). */
function perKeySerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };
}

export function quotaAdmission(ctx: ApiContext) {
  const serialized = perKeySerializer();
  return async (def: ResourceDefinition, obj: KObject, old: KObject | undefined, sctx: StrategyContext): Promise<void> => {
    const namespace = obj.metadata.namespace;
    if (sctx.dryRun || sctx.subresource || !def.namespaced || !namespace) return;
    if (old && !(def.group === '' && CHARGED_ON_UPDATE.has(def.plural))) return;
    const quotaDef = ctx.table.get('', 'v1', 'resourcequotas');
    if (!quotaDef) return;
    const quotas = ctx.cache.list(quotaDef.storagePath, storagePrefix(quotaDef, namespace)).map((c) => c.obj);
    if (quotas.length === 0) return;
    const name = obj.metadata.name ?? '';
    // The store refuses a name that exists: charging for it would only overcount.
    if (!old && ctx.cache.get(def.storagePath, storageKey(def, namespace, name))) return;
    const qualified = def.group ? `${def.plural}.${def.group}` : def.plural;
    const forbidden = (message: string) => apiErrors.forbidden(`${qualified} "${name}" is forbidden: ${message}`, { group: def.group, resource: def.plural }, name);
    const usage = old ? growth(objectUsage(def.group, def.plural, obj), objectUsage(def.group, def.plural, old)) : objectUsage(def.group, def.plural, obj);
    const covering: { quota: KObject; restricted: string[] }[] = [];
    for (const quota of quotas) {
      const restricted = Object.keys(quota.status?.hard ?? {}).filter((n) => matchesResource(def.group, def.plural, n));
      if (restricted.length === 0 || !scopesMatch(quota, def.group, def.plural, obj)) continue;
      const missing = def.group === '' && def.plural === 'pods' ? missingPodResources(obj, restricted) : undefined;
      if (missing) throw forbidden(`failed quota: ${quota.metadata.name}: ${missing}`);
      if (restricted.some((n) => quota.status?.used?.[n] === undefined)) {
        throw forbidden(`status unknown for quota: ${quota.metadata.name}, resources: ${[...restricted].sort().join(',')}`);
      }
      covering.push({ quota, restricted });
    }
    const requests = covering.map(({ quota, restricted }) => ({ quota, requested: new Map([...mask(usage, restricted)].filter(([, q]) => q.nanos !== 0n)) }));
    // Every quota is checked before any is charged, so a refusal by one does not leave a charge on another.
    for (const { quota, requested } of requests) {
      const refusal = exceeded(quota, requested);
      if (refusal) throw forbidden(refusal);
    }
    const charges = requests.filter(({ requested }) => requested.size > 0);
    if (charges.length === 0) return;
    // One charge at a time per namespace: concurrent creates would otherwise retry on each other's writes.
    await serialized(namespace, async () => {
      for (const { quota, requested } of charges) {
        try {
          await ctx.store.update(quotaDef, namespace, quota.metadata.name!, (current) => {
            if (!current) throw apiErrors.notFound({ group: '', resource: 'resourcequotas' }, quota.metadata.name!);
            // Checked again on the stored quota: another create may have been charged since the cache was read.
            const refusal = exceeded(current, requested);
            if (refusal) throw forbidden(refusal);
            const used = parseList(current.status?.used);
            addUsage(used, requested);
            current.status = { ...current.status, used: { ...current.status?.used, ...formatList(mask(used, requested.keys())) } };
            // No resourceVersion: a concurrent write (another API server, the controller) makes the store read again and re-check.
            delete current.metadata.resourceVersion;
            return current;
          }, chargeContext(sctx.now));
        } catch (err) {
          if (err instanceof ApiError && err.reason === 'NotFound') continue;
          throw err;
        }
      }
    });
  };
}
