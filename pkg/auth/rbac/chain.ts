/**
 * The API server's authorizer: system:masters, then the node authorizer, then RBAC (Kubernetes'
 * `--authorization-mode=Node,RBAC`), and the same chain's rule listing for
 * SelfSubjectRulesReview (`kubectl auth can-i --list`).
 */
import type { UserInfo } from '../../api/types.ts';
import { aggregateMessage } from './gotext.ts';
import { privilegedGroupAuthorizer, RbacAuthorizer, SYSTEM_PRIVILEGED_GROUP, unionAuthorizer } from './authorizer.ts';
import { NodeAuthorizer, type NodeObjects } from '../node/authorizer.ts';
import { NODES_GROUP } from '../node/identity.ts';
import type { RbacLister } from './resolver.ts';
import type { Attributes, AuthorizationResult, Authorizer } from './types.ts';

export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs?: string[];
}

/** What a user may do in a namespace, as SubjectRulesReviewStatus reports it. */
export interface RulesReport {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** True when some authorizer cannot list its rules (so the list may understate). */
  incomplete: boolean;
  evaluationError: string;
}

export interface ClusterAuthorizer extends Authorizer {
  rbac: RbacAuthorizer;
  rulesFor(user: UserInfo, namespace: string): RulesReport;
}

export function createClusterAuthorizer(opts: { rbac: RbacLister; nodes: NodeObjects }): ClusterAuthorizer {
  const rbac = new RbacAuthorizer(opts.rbac);
  const chain = unionAuthorizer([privilegedGroupAuthorizer, new NodeAuthorizer(opts.nodes), rbac]);
  return {
    rbac,
    authorize: (attrs: Attributes): AuthorizationResult => chain.authorize(attrs),
    rulesFor(user, namespace) {
      const report: RulesReport = { resourceRules: [], nonResourceRules: [], incomplete: false, evaluationError: '' };
      const errors: string[] = [];
      if (user.groups.includes(SYSTEM_PRIVILEGED_GROUP)) {
        report.resourceRules.push({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] });
        report.nonResourceRules.push({ verbs: ['*'], nonResourceURLs: ['*'] });
      }
      if (user.groups.includes(NODES_GROUP) && user.username.startsWith('system:node:')) {
        report.incomplete = true;
        errors.push('node authorizer does not support user rule resolution');
      }
      const { rules, error } = rbac.resolver.rulesFor(user, namespace);
      for (const r of rules) {
        if (r.resources?.length) {
          const rr: ResourceRule = { verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources };
          if (r.resourceNames?.length) rr.resourceNames = r.resourceNames;
          report.resourceRules.push(rr);
        }
        if (r.nonResourceURLs?.length) report.nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
      }
      if (error !== '') errors.push(error);
      report.evaluationError = aggregateMessage(errors);
      return report;
    },
  };
}
