/**
 * POST pods/<name>/eviction (what `kubectl drain` does): a pod goes only if no
 * PodDisruptionBudget would be broken. A budget that allows a disruption has it counted in
 * its status (disruptedPods, disruptionsAllowed - 1) in the same way Kubernetes does, so two
 * concurrent evictions cannot both spend the last one; otherwise 429 TooManyRequests. A pod
 * that is not Ready may go without spending one, as Kubernetes' unhealthy-pod rules allow.
 */
import type { KObject } from '../api/types.ts';
import { labelSelectorMatches } from '../api/validation/index.ts';
import { ApiError, apiErrors } from '../apiserver/errors.ts';
import { strategyContext, type Scope, type VirtualHandler } from '../apiserver/handlers/context.ts';
import { storagePrefix } from '../apiserver/storage/codec.ts';
import { timestamp } from '../apiserver/storage/meta.ts';

function budgetsFor(scope: Scope, pod: KObject): KObject[] {
  const def = scope.ctx.table.get('policy', 'v1', 'poddisruptionbudgets');
  if (!def) return [];
  return scope.ctx.cache
    .list(def.storagePath, storagePrefix(def, pod.metadata.namespace))
    .map((c) => c.obj)
    // An empty selector matches no pod in policy/v1.
    .filter((pdb) => {
      const sel = pdb.spec?.selector;
      const empty = !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
      return !empty && labelSelectorMatches(sel, pod.metadata.labels ?? {});
    });
}

function tooMany(message: string, retryAfterSeconds: number): ApiError {
  const err = apiErrors.tooManyRequests('Cannot evict pod as it would violate the pod\'s disruption budget.', retryAfterSeconds);
  err.details!.causes = [{ reason: 'DisruptionBudget', message }];
  return err;
}

export const evictionHandler: VirtualHandler = {
  bodyKind: { group: 'policy', version: 'v1', kind: 'Eviction' },
  async handle(scope, eviction) {
    const { ctx, info } = scope;
    const podDef = ctx.table.get('', 'v1', 'pods')!;
    const pod = await ctx.store.get(podDef, info.namespace, info.name);
    if (eviction.metadata.name && eviction.metadata.name !== info.name) {
      throw apiErrors.badRequest(`name in URL does not match name in Eviction object`);
    }
    // Pods that are not running (or already going) may always be evicted (canIgnorePDB).
    const phase = pod.status?.phase;
    const ignoreBudgets = phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp;
    const budgets = ignoreBudgets ? [] : budgetsFor(scope, pod);
    if (budgets.length > 1) throw apiErrors.internal('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    const budget = budgets[0];
    // A pod that is not Ready spends no disruption: it may go when the budget says so
    // (unhealthyPodEvictionPolicy AlwaysAllow) or is met without it, so drain is not stuck on broken pods.
    const ready = ((pod.status?.conditions ?? []) as { type: string; status: string }[]).some((c) => c.type === 'Ready' && c.status === 'True');
    const desired = Number(budget?.status?.desiredHealthy ?? 0);
    const unhealthyMayGo = !!budget && !ready && (budget.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || (Number(budget.status?.currentHealthy ?? 0) >= desired && desired > 0));
    if (budget && !unhealthyMayGo) {
      const pdbDef = ctx.table.get('policy', 'v1', 'poddisruptionbudgets')!;
      await ctx.store.update(pdbDef, info.namespace, budget.metadata.name!, (current) => {
        if (!current) throw apiErrors.notFound({ group: 'policy', resource: 'poddisruptionbudgets' }, budget.metadata.name!);
        const status = current.status ?? {};
        if ((status.observedGeneration ?? 0) < (current.metadata.generation ?? 0)) {
          throw tooMany(`The disruption budget ${current.metadata.name} is still being processed by the server.`, 10);
        }
        const allowed = Number(status.disruptionsAllowed ?? 0);
        if (allowed < 0) throw apiErrors.forbidden('pdb disruptions allowed is negative');
        if (allowed === 0) {
          throw tooMany(`The disruption budget ${current.metadata.name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`, 0);
        }
        current.status = {
          ...status,
          disruptionsAllowed: allowed - 1,
          disruptedPods: { ...(status.disruptedPods ?? {}), [info.name]: timestamp(ctx.now()) },
        };
        // No resourceVersion: a concurrent status write (the disruption controller) re-runs this check on fresh data, as Kubernetes retries conflicts.
        delete current.metadata.resourceVersion;
        return current;
      }, { ...strategyContext(scope, false), subresource: 'status' });
    }
    const options = eviction.deleteOptions ?? {};
    await ctx.store.delete(podDef, info.namespace, info.name, {
      gracePeriodSeconds: options.gracePeriodSeconds,
      // An unhealthy pod goes only as it was judged: not if it turned Ready meanwhile.
      preconditions: options.preconditions ?? (unhealthyMayGo ? { resourceVersion: pod.metadata.resourceVersion } : undefined),
      dryRun: Array.isArray(options.dryRun) && options.dryRun.length > 0,
    }, strategyContext(scope, false));
    return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
  },
};
