/** Shorthands for writing the default policy's rules: verb sets, API groups, rule builders. */
import type { PolicyRule } from './types.ts';

export const READ = ['get', 'list', 'watch'];
export const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'];
export const READ_WRITE = [...READ, ...WRITE];

export const CORE = '';
export const APPS = 'apps';
export const AUTHN = 'authentication.k8s.io';
export const AUTHZ = 'authorization.k8s.io';
export const BATCH = 'batch';
export const CERTS = 'certificates.k8s.io';
export const COORDINATION = 'coordination.k8s.io';
export const DISCOVERY = 'discovery.k8s.io';
export const EXTENSIONS = 'extensions';
export const NETWORKING = 'networking.k8s.io';
export const POLICY = 'policy';
export const STORAGE = 'storage.k8s.io';
export const EVENTS = 'events.k8s.io';

export function rule(verbs: string[], groups: string[], resources: string[], names?: string[]): PolicyRule {
  const r: PolicyRule = { verbs, apiGroups: groups, resources };
  if (names) r.resourceNames = names;
  return r;
}
export const eventsRule = (): PolicyRule => rule(['create', 'update', 'patch'], [CORE, EVENTS], ['events']);
