/**
 * ObjectMeta, labels, annotations, owner references, finalizers and metav1.LabelSelector, as
 * apimachinery's api/validation and apis/meta/v1/validation check them.
 */
import type { FieldError, ObjectMeta, OwnerReference } from '../types.ts';
import { FieldPath, type PathLike, forbidden, invalid, invalidEach, required, tooLong, validateImmutableField, validateNonnegative } from './path.ts';
import { type NameCheck, isQualifiedName, isValidLabelValue, nameIsDNSLabel } from './names.ts';

const asPath = (p: PathLike): FieldPath => (typeof p === 'string' ? FieldPath.root(p) : p);

export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

export function validateLabelName(name: string, path: PathLike): FieldError[] {
  return invalidEach(path, name, isQualifiedName(name));
}

/** Errors are reported at the map's path (`metadata.labels`), not per key, as Kubernetes does. */
export function validateLabels(labels: Record<string, string> | undefined, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(key, path));
    errs.push(...invalidEach(path, value, isValidLabelValue(String(value))));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    // Annotation keys are qualified names in any letter case.
    errs.push(...invalidEach(path, key, isQualifiedName(key.toLowerCase())));
    size += Buffer.byteLength(key) + Buffer.byteLength(String(value ?? ''));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

/** Kinds that may never own other objects. */
const BANNED_OWNERS = new Set(['/v1, Kind=Event']);

function validateOwnerReference(ref: OwnerReference, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const apiVersion = ref.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (version === '') errs.push(invalid(path.child('apiVersion'), apiVersion, 'version must not be empty'));
  if (!ref.kind) errs.push(invalid(path.child('kind'), ref.kind ?? '', 'must not be empty'));
  if (!ref.name) errs.push(invalid(path.child('name'), ref.name ?? '', 'must not be empty'));
  if (!ref.uid) errs.push(invalid(path.child('uid'), ref.uid ?? '', 'must not be empty'));
  const gvk = `${group}/${version}, Kind=${ref.kind ?? ''}`;
  if (BANNED_OWNERS.has(gvk)) errs.push(invalid(path, ref, `${gvk} is disallowed from being an owner`));
  return errs;
}

export function validateOwnerReferences(refs: OwnerReference[] | undefined, path: PathLike): FieldError[] {
  const p = asPath(path);
  const errs: FieldError[] = [];
  let controllerName = '';
  for (const ref of refs ?? []) {
    errs.push(...validateOwnerReference(ref, p));
    if (ref.controller === true) {
      if (controllerName !== '') {
        errs.push(invalid(p, refs, `Only one reference can have Controller set to true. Found "true" in references for ${controllerName} and ${ref.name}`));
      } else {
        controllerName = ref.name;
      }
    }
  }
  return errs;
}

export function validateFinalizers(finalizers: string[] | undefined, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) errs.push(...invalidEach(path, f, isQualifiedName(f)));
  if (finalizers?.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

export interface ObjectMetaOptions {
  path?: PathLike;
  /** Check name and generateName with this rule; leave out when the store already does. */
  name?: NameCheck;
  /** Check metadata.namespace presence (true) or absence (false); leave out to skip. */
  namespaced?: boolean;
}

export function validateObjectMeta(meta: ObjectMeta | undefined, options: ObjectMetaOptions = {}): FieldError[] {
  const m = meta ?? {};
  const p = asPath(options.path ?? 'metadata');
  const errs: FieldError[] = [];
  if (options.name) {
    if (m.generateName) errs.push(...invalidEach(p.child('generateName'), m.generateName, options.name(m.generateName, true)));
    if (!m.name) errs.push(required(p.child('name'), 'name or generateName is required'));
    else errs.push(...invalidEach(p.child('name'), m.name, options.name(m.name, false)));
  }
  if (options.namespaced === true) {
    if (!m.namespace) errs.push(required(p.child('namespace')));
    else errs.push(...invalidEach(p.child('namespace'), m.namespace, nameIsDNSLabel(m.namespace, false)));
  } else if (options.namespaced === false && m.namespace) {
    errs.push(forbidden(p.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(m.generation, p.child('generation')));
  errs.push(...validateLabels(m.labels, p.child('labels')));
  errs.push(...validateAnnotations(m.annotations, p.child('annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, p.child('ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, p.child('finalizers')));
  return errs;
}

/** What may not change on update, plus the checks every object's metadata gets. */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, options: { path?: PathLike } = {}): FieldError[] {
  const m = meta ?? {};
  const o = old ?? {};
  const p = asPath(options.path ?? 'metadata');
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const added = (m.finalizers ?? []).filter((f) => !(o.finalizers ?? []).includes(f));
    if (added.length > 0) {
      const shown = `[]string{${[...new Set(added)].sort().map((f) => JSON.stringify(f)).join(', ')}}`;
      errs.push(forbidden(p.child('finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${shown}`));
    }
  }
  if ((m.generation ?? 0) < (o.generation ?? 0)) errs.push(invalid(p.child('generation'), m.generation ?? 0, 'must not be decremented'));
  for (const field of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
    errs.push(...validateImmutableField(m[field], o[field], p.child(field)));
  }
  errs.push(...validateLabels(m.labels, p.child('labels')));
  errs.push(...validateAnnotations(m.annotations, p.child('annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, p.child('ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, p.child('finalizers')));
  return errs;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export function validateLabelSelector(
  selector: LabelSelector | undefined | null,
  path: PathLike,
  options: { allowInvalidLabelValueInSelector?: boolean } = {},
): FieldError[] {
  if (!selector) return [];
  const p = asPath(path);
  const errs = validateLabels(selector.matchLabels, p.child('matchLabels'));
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const rp = p.child('matchExpressions').index(i);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errs.push(required(rp.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errs.push(forbidden(rp.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(rp.child('operator'), req.operator, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(req.key, rp.child('key')));
    if (!options.allowInvalidLabelValueInSelector) {
      values.forEach((v, j) => errs.push(...invalidEach(rp.child('values').index(j), v, isValidLabelValue(v))));
    }
  });
  return errs;
}

/** Whether labels satisfy a selector; an absent selector selects nothing, `{}` everything. */
export function labelSelectorMatches(selector: LabelSelector | undefined | null, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const have = labels ?? {};
  // Controllers call this for every pod they own on every pass: no entry arrays.
  const wanted = selector.matchLabels;
  if (wanted) for (const k in wanted) if (!Object.prototype.hasOwnProperty.call(have, k) || have[k] !== wanted[k]) return false;
  if (!selector.matchExpressions) return true;
  for (const req of selector.matchExpressions) {
    const present = Object.prototype.hasOwnProperty.call(have, req.key);
    const inValues = present && (req.values ?? []).includes(have[req.key]!);
    const ok =
      req.operator === 'In' ? inValues : req.operator === 'NotIn' ? !inValues : req.operator === 'Exists' ? present : req.operator === 'DoesNotExist' ? !present : false;
    if (!ok) return false;
  }
  return true;
}
