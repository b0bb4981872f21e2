/**
 * Admission that needs more than one object: RBAC's privilege-escalation rule (a user may only
 * create or change a Role, ClusterRole or binding granting what they hold themselves, unless
 * they may `escalate` or `bind`), checked on every write of those kinds as Kubernetes does in
 * its RBAC storage.
 */
import type { KObject, ResourceDefinition, StrategyContext } from '../api/types.ts';
import type { ClusterAuthorizer } from '../auth/rbac/chain.ts';
import { checkBindingWrite, checkRoleWrite, onlyGarbageCollectionFieldsChanged } from '../auth/rbac/escalation.ts';
import { RBAC_GROUP } from '../auth/rbac/types.ts';

export function rbacAdmission(authorizer: () => ClusterAuthorizer) {
  return (def: ResourceDefinition, obj: KObject, old: KObject | undefined, ctx: StrategyContext): void => {
    if (def.group !== RBAC_GROUP) return;
    if (old && onlyGarbageCollectionFieldsChanged(obj, old)) return;
    const a = authorizer();
    const namespace = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const requestName = old ? name : '';
    let refused;
    if (def.kind === 'Role' || def.kind === 'ClusterRole') {
      refused = checkRoleWrite(a, a.rbac.resolver, {
        user: ctx.user,
        kind: def.kind,
        namespace,
        name,
        requestName,
        rules: obj.rules ?? [],
        aggregationRule: obj.aggregationRule,
        oldAggregationRule: old?.aggregationRule,
      });
    } else if (def.kind === 'RoleBinding' || def.kind === 'ClusterRoleBinding') {
      refused = checkBindingWrite(a, a.rbac.resolver, { user: ctx.user, kind: def.kind, namespace, name, roleRef: obj.roleRef });
    }
    if (refused) throw refused;
  };
}
