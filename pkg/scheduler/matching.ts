/**
 * Matching rules shared by filters and scores: node selector terms (node affinity, with
 * matchFields on metadata.name), tolerations against taints, and the pod's required node
 * constraints as one predicate (nodeSelector AND required node affinity).
 */
import type { NodeInfo } from './nodeinfo.ts';
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod, Taint, Toleration } from './types.ts';

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

export function requirementMatches(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const present = value !== undefined;
  switch (req.operator) {
    case 'In':
      return present && (req.values ?? []).includes(value);
    case 'NotIn':
      return !present || !(req.values ?? []).includes(value);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    case 'Gt':
    case 'Lt': {
      const have = integer(value);
      const want = integer(req.values?.[0]);
      if (have === undefined || want === undefined) return false;
      return req.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** A term matches when all its expressions and fields do; an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) if (!requirementMatches(r, node.labels[r.key])) return false;
  for (const r of fields) if (!requirementMatches(r, r.key === 'metadata.name' ? node.name : undefined)) return false;
  return true;
}

/** nodeSelector and required node affinity (terms are ORed); undefined when the pod has neither. */
export function requiredNodeMatcher(pod: Pod): ((node: NodeInfo) => boolean) | undefined {
  const selector = Object.entries(pod.spec?.nodeSelector ?? {});
  const terms = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (selector.length === 0 && terms === undefined) return undefined;
  return (node) => {
    for (const [k, v] of selector) if (node.labels[k] !== v) return false;
    return terms === undefined || terms.some((t) => termMatches(t, node));
  };
}

export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if (!toleration.key && toleration.operator !== 'Exists') return false;
  if (toleration.operator === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}

export function tolerated(tolerations: Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => tolerates(t, taint));
}
