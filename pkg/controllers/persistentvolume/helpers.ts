/**
 * What the volume binder, the protection controllers, the scheduler's volume binding and the
 * local-path provisioner agree on: Kubernetes' annotation names, which volume satisfies which
 * claim (class, volume mode, access modes, capacity, selector) and which node a volume's node
 * affinity admits. Pure functions over API objects, so each user tests them with plain data.
 */
import type { KObject } from '../../api/types.ts';
import { compareQuantities, tryParseQuantity, type Quantity } from '../../api/validation/quantity.ts';
import { labelSelectorMatches } from '../../api/validation/index.ts';

/** On a claim: the binding finished (set by the binder; a claim with it is "bound"). */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** On a claim or volume: the binder (not the user) set volumeName / claimRef. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** On a volume: the provisioner that created it (and must delete it). */
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
/** On a claim: the node the scheduler chose for a WaitForFirstConsumer claim. */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** On a claim: the provisioner asked to provision it (the beta name is still set, as Kubernetes does). */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

export const WAIT_FOR_FIRST_CONSUMER = 'WaitForFirstConsumer';

export interface ClaimRef {
  kind?: string;
  apiVersion?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export const claimKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** spec.storageClassName, or the beta annotation older claims carry; '' when none. */
export function claimClass(claim: KObject): string {
  return claim.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? claim.spec?.storageClassName ?? '';
}

export function volumeClass(pv: KObject): string {
  return pv.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? pv.spec?.storageClassName ?? '';
}

/** Whether the claim's binding finished (it is then "bound" even before its status says so). */
export function claimIsBound(claim: KObject): boolean {
  return !!claim.spec?.volumeName && claim.metadata.annotations?.[ANN_BIND_COMPLETED] !== undefined;
}

/** The volume's claimRef names this claim (uid too, unless the volume is only pre-bound by name). */
export function volumeBoundToClaim(pv: KObject, claim: KObject): boolean {
  const ref: ClaimRef | undefined = pv.spec?.claimRef;
  if (!ref || ref.name !== claim.metadata.name || (ref.namespace ?? '') !== claim.metadata.namespace) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

function requested(claim: KObject): Quantity | undefined {
  return tryParseQuantity(claim.spec?.resources?.requests?.storage);
}

function capacity(pv: KObject): Quantity | undefined {
  return tryParseQuantity(pv.spec?.capacity?.storage);
}

/** Why the volume cannot serve the claim, or undefined when it can. Messages as Kubernetes' checkVolumeSatisfyClaim. */
export function volumeMismatch(pv: KObject, claim: KObject): string | undefined {
  const want = requested(claim);
  const have = capacity(pv);
  if (want && (!have || compareQuantities(have, want) < 0)) return 'requested PV is too small';
  if (volumeClass(pv) !== claimClass(claim)) return 'storageClassName does not match';
  if ((pv.spec?.volumeMode ?? 'Filesystem') !== (claim.spec?.volumeMode ?? 'Filesystem')) return 'incompatible volumeMode';
  const modes: string[] = pv.spec?.accessModes ?? [];
  if (!((claim.spec?.accessModes ?? []) as string[]).every((m) => modes.includes(m))) return 'incompatible accessMode';
  return undefined;
}

/**
 * The smallest volume that satisfies the claim, as Kubernetes' findMatchingVolume: a volume
 * pre-bound to the claim wins at once; volumes claimed by others, being deleted, or not
 * Available are skipped; with delayed binding (WaitForFirstConsumer) only pre-bound volumes
 * count, the scheduler picks the others; `admits` (the scheduler's node) filters by node affinity.
 */
export function findBestMatch(claim: KObject, volumes: Iterable<KObject>, opts: { delayBinding: boolean; admits?: (pv: KObject) => boolean }): KObject | undefined {
  let best: KObject | undefined;
  let bestSize: Quantity | undefined;
  for (const pv of volumes) {
    if (pv.metadata.deletionTimestamp) continue;
    if (volumeMismatch(pv, claim) !== undefined) continue;
    if (opts.admits && !opts.admits(pv)) continue;
    if (pv.spec?.claimRef) {
      if (volumeBoundToClaim(pv, claim)) return pv;
      continue;
    }
    if (opts.delayBinding && !opts.admits) continue;
    if ((pv.status?.phase ?? 'Available') !== 'Available' && pv.status?.phase !== 'Pending') continue;
    if (claim.spec?.selector && !labelSelectorMatches(claim.spec.selector, pv.metadata.labels)) continue;
    const size = capacity(pv);
    if (!best || (size && bestSize && compareQuantities(size, bestSize) < 0)) {
      best = pv;
      bestSize = size;
    }
  }
  return best;
}

interface SelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

function requirementMatches(req: SelectorRequirement, value: string | undefined): boolean {
  switch (req.operator) {
    case 'In': return value !== undefined && (req.values ?? []).includes(value);
    case 'NotIn': return value === undefined || !(req.values ?? []).includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': return value !== undefined && Number(value) > Number(req.values?.[0]);
    case 'Lt': return value !== undefined && Number(value) < Number(req.values?.[0]);
    default: return false;
  }
}

/** spec.nodeAffinity.required admits the node (terms ORed, requirements ANDed); no affinity admits every node. */
export function volumeAdmitsNode(pv: KObject, node: { name: string; labels: Record<string, string> }): boolean {
  const terms: { matchExpressions?: SelectorRequirement[]; matchFields?: SelectorRequirement[] }[] | undefined = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  return terms.some((t) => {
    const exprs = t.matchExpressions ?? [];
    const fields = t.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false;
    return exprs.every((r) => requirementMatches(r, node.labels[r.key])) && fields.every((r) => requirementMatches(r, r.key === 'metadata.name' ? node.name : undefined));
  });
}

/** The claims a pod's volumes name (an ephemeral volume's claim is `<pod>-<volume>`). */
export function podClaimNames(pod: KObject): string[] {
  const out: string[] = [];
  for (const v of (pod.spec?.volumes ?? []) as { name: string; persistentVolumeClaim?: { claimName?: string }; ephemeral?: unknown }[]) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) out.push(`${pod.metadata.name}-${v.name}`);
  }
  return out;
}

export function isTerminalPod(pod: KObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}
