/**
 * Nodes (stored under /registry/minions): allocatable defaults to capacity, podCIDR and
 * podCIDRs kept in step, taints validated, podCIDRs and providerID fixed once set.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy, StrategyContext } from '../../types.ts';
import { FieldPath, duplicate, forbidden, invalidEach, isValidLabelValue, notSupported, required, validateCIDR, validateLabelName } from '../../validation/index.ts';
import { coreDefinition } from './definition.ts';
import { canonicalizeResourceList, validateResourceList } from './resourcelist.ts';
import { TAINT_EFFECTS } from './scheduling-validation.ts';
import { list } from './shape.ts';
import { cloneJson } from '../../json.ts';


export function defaultNode(node: KObject): void {
  const spec = (node.spec ??= {});
  if (spec.podCIDR && !list(spec.podCIDRs).length) spec.podCIDRs = [spec.podCIDR];
  if (!spec.podCIDR && list(spec.podCIDRs).length) spec.podCIDR = spec.podCIDRs[0];
  const status = node.status;
  if (status && typeof status === 'object') {
    canonicalizeResourceList(status.capacity, false);
    canonicalizeResourceList(status.allocatable, false);
    if (status.allocatable === undefined && status.capacity) status.allocatable = cloneJson(status.capacity);
  }
}

export function validateTaints(taints: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list(taints).forEach((t, i) => {
    const p = path.index(i);
    errs.push(...validateLabelName(t.key ?? '', p.child('key')));
    if (t.value) errs.push(...invalidEach(p.child('value'), t.value, isValidLabelValue(t.value)));
    if (!t.effect) errs.push(required(p.child('effect')));
    else if (!TAINT_EFFECTS.includes(t.effect)) errs.push(notSupported(p.child('effect'), t.effect, TAINT_EFFECTS));
    const key = `${t.key}:${t.effect}`;
    if (seen.has(key)) errs.push({ ...duplicate(p, t), detail: 'taints must be unique by key and effect pair' });
    seen.add(key);
  });
  return errs;
}

function validateNode(node: KObject): FieldError[] {
  const spec = node.spec ?? {};
  const errs = validateTaints(spec.taints, FieldPath.root('spec').child('taints'));
  list(spec.podCIDRs).forEach((cidr, i) => errs.push(...validateCIDR(String(cidr), `spec.podCIDRs[${i}]`)));
  if (list(spec.podCIDRs).length > 2) errs.push(forbidden('spec.podCIDRs', 'may specify no more than one CIDR for each IP family'));
  errs.push(...validateResourceList(node.status?.capacity, FieldPath.root('status').child('capacity'), () => true).errors);
  errs.push(...validateResourceList(node.status?.allocatable, FieldPath.root('status').child('allocatable'), () => true).errors);
  return errs;
}

export const nodeStrategy: Strategy = {
  defaults: defaultNode,
  prepareForUpdate(node: KObject, old: KObject, ctx: StrategyContext) {
    if (ctx.subresource === 'status') node.spec = cloneJson(old.spec);
    else node.status = cloneJson(old.status);
  },
  validate: validateNode,
  validateUpdate(node: KObject, old: KObject) {
    const errs = validateNode(node);
    const oldCIDRs = list(old.spec?.podCIDRs);
    const newCIDRs = list(node.spec?.podCIDRs);
    if (oldCIDRs.length > 0 && (oldCIDRs.length !== newCIDRs.length || oldCIDRs.some((c, i) => c !== newCIDRs[i]))) {
      errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
    }
    if (old.spec?.providerID && old.spec.providerID !== node.spec?.providerID) {
      errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
    }
    return errs;
  },
};

export function nodeResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'Node',
    plural: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['proxy', 'status'],
    strategy: nodeStrategy,
    fieldSelectors: { 'spec.unschedulable': (n) => String(n.spec?.unschedulable === true) },
    storagePath: 'minions',
  });
}
