/** An in-memory RbacLister for tests. */
import type { RbacLister } from './resolver.ts';
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from './types.ts';

export function memoryLister(objs: {
  roles?: Role[];
  roleBindings?: RoleBinding[];
  clusterRoles?: ClusterRole[];
  clusterRoleBindings?: ClusterRoleBinding[];
}): RbacLister {
  return {
    getRole: (ns, name) => objs.roles?.find((r) => r.metadata.namespace === ns && r.metadata.name === name),
    listRoleBindings: (ns) => (objs.roleBindings ?? []).filter((b) => b.metadata.namespace === ns),
    getClusterRole: (name) => objs.clusterRoles?.find((r) => r.metadata.name === name),
    listClusterRoleBindings: () => objs.clusterRoleBindings ?? [],
  };
}
