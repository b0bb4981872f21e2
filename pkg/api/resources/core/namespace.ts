/**
 * Namespaces: the metadata.name label, status Active and the `kubernetes` finalizer on create,
 * spec.finalizers changed only through /finalize and status only through /status.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy, StrategyContext } from '../../types.ts';
import { invalid, invalidEach, isQualifiedName } from '../../validation/index.ts';
import { coreDefinition } from './definition.ts';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** SetDefaults_Namespace: every named namespace carries its name as a label. */
export function defaultNamespace(ns: KObject): void {
  if (!ns.metadata.name) return;
  ns.metadata.labels = { ...(ns.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: ns.metadata.name };
  ns.status ??= {};
  if (!ns.status.phase) ns.status.phase = 'Active';
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'kubernetes.io/pv-protection', 'kubernetes.io/pvc-protection']);

function validateSpecFinalizers(ns: KObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of (ns.spec?.finalizers ?? []) as string[]) {
    errs.push(...invalidEach('spec.finalizers', f, isQualifiedName(f)));
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(invalid('spec.finalizers', f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  return errs;
}

/**
 * What DELETE does to a namespace that still has spec.finalizers: it stays, Terminating, until
 * the namespace controller empties it and clears them through /finalize. Returns whether the
 * namespace must be kept.
 */
export function markNamespaceTerminating(ns: KObject): boolean {
  if (((ns.spec?.finalizers ?? []) as string[]).length === 0) return false;
  ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
  return true;
}

export const namespaceStrategy: Strategy = {
  nameRule: 'dns1123-label',
  defaults: defaultNamespace,
  prepareForCreate(ns: KObject) {
    ns.status = { phase: 'Active' };
    ns.spec ??= {};
    const finalizers: string[] = ns.spec.finalizers ?? [];
    if (!finalizers.includes('kubernetes')) ns.spec.finalizers = [...finalizers, 'kubernetes'];
  },
  prepareForUpdate(ns: KObject, old: KObject, ctx: StrategyContext) {
    if (ctx.subresource !== 'finalize') {
      ns.spec = structuredClone(old.spec ?? {});
    } else {
      const finalizers = ns.spec?.finalizers;
      ns.spec = { ...structuredClone(old.spec ?? {}), finalizers };
      if (finalizers === undefined) delete ns.spec.finalizers;
    }
    if (ctx.subresource !== 'status') ns.status = structuredClone(old.status ?? {});
  },
  validate: validateSpecFinalizers,
  validateUpdate(ns: KObject, _old: KObject, ctx: StrategyContext) {
    const errs = validateSpecFinalizers(ns);
    if (ctx.subresource === 'status') {
      const phase = ns.status?.phase ?? '';
      if (!ns.metadata.deletionTimestamp && phase !== 'Active') {
        errs.push(invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty"));
      } else if (ns.metadata.deletionTimestamp && phase !== 'Terminating') {
        errs.push(invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
      }
    }
    return errs;
  },
};

export function namespaceResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'Namespace',
    plural: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: ['finalize', 'status'],
    strategy: namespaceStrategy,
    fieldSelectors: { 'status.phase': (ns) => ns.status?.phase ?? '' },
  });
}
