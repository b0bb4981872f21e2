/** Nodes: STATUS from the Ready condition and cordoning, ROLES from node-role labels. */
import type { KObject } from '../types.ts';
import { ageColumn, ageOf, col, conditionsOf, nameColumn, nameOf, printer, wide } from './columns.ts';
import { doc } from './descriptions.ts';

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_ROLE_LABEL = 'kubernetes.io/role';

function nodeStatus(node: KObject): string {
  const status: string[] = [];
  // Kubernetes keeps the last condition of a type when a node lists it twice.
  const ready = conditionsOf(node.status).filter((c) => c.type === 'Ready').at(-1);
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** Roles from `node-role.kubernetes.io/<role>` keys and the legacy `kubernetes.io/role=<role>`. */
export function nodeRoles(node: KObject): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (key.startsWith(ROLE_LABEL_PREFIX)) {
      const role = key.slice(ROLE_LABEL_PREFIX.length);
      if (role) roles.add(role);
    } else if (key === LEGACY_ROLE_LABEL && value !== '') {
      roles.add(value);
    }
  }
  return [...roles].sort().join(',') || '<none>';
}

function address(node: KObject, type: string): string {
  const found = (node.status?.addresses ?? []).find((a: { type?: string }) => a.type === type);
  return found?.address ?? '<none>';
}

function orUnknown(value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : '<unknown>';
}

export const nodePrinter = printer(
  [
    nameColumn,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    ageColumn,
    col('Version', doc.nodeKubelet),
    wide('Internal-IP', doc.nodeAddresses),
    wide('External-IP', doc.nodeAddresses),
    wide('OS-Image', doc.nodeOsImage),
    wide('Kernel-Version', doc.nodeKernel),
    wide('Container-Runtime', doc.nodeRuntime),
  ],
  (node, now) => {
    const info = node.status?.nodeInfo ?? {};
    return [
      nameOf(node),
      nodeStatus(node),
      nodeRoles(node),
      ageOf(node, now),
      info.kubeletVersion ?? '',
      address(node, 'InternalIP'),
      address(node, 'ExternalIP'),
      orUnknown(info.osImage),
      orUnknown(info.kernelVersion),
      orUnknown(info.containerRuntimeVersion),
    ];
  },
);
