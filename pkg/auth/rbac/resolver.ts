/**
 * Which rules apply to a user in a namespace: every ClusterRoleBinding naming the user, then the
 * namespace's RoleBindings, each resolved to its role's rules. Resolution errors (a binding to
 * a missing role) are collected, not fatal: rules only add permissions, so what resolved still
 * counts, and the errors explain a denial.
 */
import type { UserInfo } from '../../api/types.ts';
import { matchesServiceAccountUsername } from '../serviceaccount/username.ts';
import { aggregateMessage, goQuote } from './gotext.ts';
import { RBAC_GROUP, type ClusterRole, type ClusterRoleBinding, type PolicyRule, type Role, type RoleBinding, type RoleRef, type Subject } from './types.ts';

/** Read access to RBAC objects; the API server feeds it from the watch cache. */
export interface RbacLister {
  getRole(namespace: string, name: string): Role | undefined;
  listRoleBindings(namespace: string): RoleBinding[];
  getClusterRole(name: string): ClusterRole | undefined;
  listClusterRoleBindings(): ClusterRoleBinding[];
}

/** Called with each rule (and the binding that grants it) or each error; return false to stop. */
export type RuleVisitor = (source: string | undefined, rule: PolicyRule | undefined, error: string | undefined) => boolean;

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${goQuote(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${goQuote(s.name)}`;
}

function appliesToUser(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user.username === subject.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      // A subject without a namespace means the binding's own namespace.
      const saNamespace = subject.namespace || namespace;
      return saNamespace !== '' && matchesServiceAccountUsername(saNamespace, subject.name, user.username);
    }
    default:
      return false;
  }
}

function firstApplyingSubject(user: UserInfo, subjects: readonly Subject[] | undefined, namespace: string): Subject | undefined {
  return (subjects ?? []).find((s) => appliesToUser(user, s, namespace));
}

export class RuleResolver {
  constructor(private readonly lister: RbacLister) {}

  /** The rules a binding's roleRef points at, or the error text Kubernetes gives when it cannot. */
  getRoleReferenceRules(ref: RoleRef, bindingNamespace: string): { rules: PolicyRule[] } | { error: string } {
    if (ref.kind === 'Role') {
      const role = this.lister.getRole(bindingNamespace, ref.name);
      return role ? { rules: role.rules ?? [] } : { error: `role.${RBAC_GROUP} ${goQuote(ref.name)} not found` };
    }
    if (ref.kind === 'ClusterRole') {
      const role = this.lister.getClusterRole(ref.name);
      return role ? { rules: role.rules ?? [] } : { error: `clusterrole.${RBAC_GROUP} ${goQuote(ref.name)} not found` };
    }
    return { error: `unsupported role reference kind: ${goQuote(ref.kind)}` };
  }

  visitRulesFor(user: UserInfo, namespace: string, visit: RuleVisitor): void {
    for (const binding of this.lister.listClusterRoleBindings()) {
      const subject = firstApplyingSubject(user, binding.subjects, '');
      if (!subject) continue;
      const resolved = this.getRoleReferenceRules(binding.roleRef, '');
      if ('error' in resolved) {
        if (!visit(undefined, undefined, resolved.error)) return;
        continue;
      }
      const source = `ClusterRoleBinding ${goQuote(binding.metadata.name ?? '')} of ${binding.roleRef.kind} ${goQuote(binding.roleRef.name)} to ${describeSubject(subject, '')}`;
      for (const rule of resolved.rules) if (!visit(source, rule, undefined)) return;
    }
    if (namespace === '') return;
    for (const binding of this.lister.listRoleBindings(namespace)) {
      const subject = firstApplyingSubject(user, binding.subjects, namespace);
      if (!subject) continue;
      const resolved = this.getRoleReferenceRules(binding.roleRef, namespace);
      if ('error' in resolved) {
        if (!visit(undefined, undefined, resolved.error)) return;
        continue;
      }
      const source = `RoleBinding ${goQuote(`${binding.metadata.name ?? ''}/${namespace}`)} of ${binding.roleRef.kind} ${goQuote(binding.roleRef.name)} to ${describeSubject(subject, namespace)}`;
      for (const rule of resolved.rules) if (!visit(source, rule, undefined)) return;
    }
  }

  /** Every rule that applies; `error` is the aggregate of resolution errors ('' when none). */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; error: string } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    this.visitRulesFor(user, namespace, (_source, rule, error) => {
      if (rule) rules.push(rule);
      if (error !== undefined) errors.push(error);
      return true;
    });
    return { rules, error: aggregateMessage(errors) };
  }
}
