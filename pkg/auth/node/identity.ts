/** Who is a node: Kubernetes' kubelet identities, user `system:node:<name>` in group system:nodes. */
import type { UserInfo } from '../../api/types.ts';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** The node name of a node identity, '' for a node user whose name is not `system:node:<name>`, undefined for non-nodes. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP)) return undefined;
  return user.username.startsWith(NODE_USER_PREFIX) ? user.username.slice(NODE_USER_PREFIX.length) : '';
}
