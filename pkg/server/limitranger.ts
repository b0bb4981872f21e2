/**
 * LimitRanger admission for new pods and claims: containers get the default requests and
 * limits of their namespace's LimitRanges (type Container), noted in the
 * kubernetes.io/limit-ranger annotation, then every container (type Container) and the pod as a whole (type Pod) must respect min,
 * max and maxLimitRequestRatio, refused with Kubernetes' messages
 * ("maximum cpu usage per Container is 1, but limit is 2"); a new claim's storage request
 * must lie within the PersistentVolumeClaim items' min and max.
 */
import type { FieldError, KObject, ResourceDefinition } from '../api/types.ts';
import { compareQuantities, FieldPath, formatQuantity, invalid, type Quantity, quantityMilliValue, tryParseQuantity } from '../api/validation/index.ts';
import { apiErrors } from '../apiserver/errors.ts';
import type { ApiContext } from '../apiserver/handlers/context.ts';
import { storagePrefix } from '../apiserver/storage/codec.ts';
import { podResources, type Usage } from '../controllers/resourcequota/usage.ts';

const ANNOTATION = 'kubernetes.io/limit-ranger';

type List = Record<string, unknown>;
interface Container { name: string; resources?: { requests?: List; limits?: List } }
export interface LimitItem { type: string; min?: List; max?: List; default?: List; defaultRequest?: List; maxLimitRequestRatio?: List }

const parsed = (list: List | undefined): Usage => {
  const out: Usage = new Map();
  for (const [k, v] of Object.entries(list ?? {})) {
    const q = tryParseQuantity(v);
    if (q) out.set(k, q);
  }
  return out;
};

/** Copies the entries `into` lacks; returns their names, sorted. */
function fill(into: List, from: List): string[] {
  const set: string[] = [];
  for (const [k, v] of Object.entries(from)) {
    if (into[k] !== undefined) continue;
    into[k] = v;
    set.push(k);
  }
  return set.sort();
}

/** Sets what the container lacks; returns the annotation parts ("cpu, memory request for container app"). */
function applyDefaults(c: Container, kind: string, defaults: { requests: List; limits: List }): string[] {
  const resources = (c.resources ??= {});
  const limits = (resources.limits ??= {});
  const requests = (resources.requests ??= {});
  const setLimits = fill(limits, defaults.limits);
  const setRequests = fill(requests, defaults.requests);
  if (Object.keys(limits).length === 0) delete resources.limits;
  if (Object.keys(requests).length === 0) delete resources.requests;
  const notes: string[] = [];
  if (setRequests.length) notes.push(`${setRequests.join(', ')} request for ${kind} ${c.name}`);
  if (setLimits.length) notes.push(`${setLimits.join(', ')} limit for ${kind} ${c.name}`);
  return notes;
}

const show = formatQuantity;

/** Kubernetes' minConstraint, maxConstraint and limitRequestRatioConstraint for every resource the item names. */
export function check(type: string, item: LimitItem, requests: Usage, limits: Usage): string[] {
  const errors: string[] = [];
  for (const [name, min] of [...parsed(item.min)].sort(([a], [b]) => a.localeCompare(b))) {
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!req) errors.push(`minimum ${name} usage per ${type} is ${show(min)}.  No request is specified`);
    else if (compareQuantities(req, min) < 0) errors.push(`minimum ${name} usage per ${type} is ${show(min)}, but request is ${show(req)}`);
    else if (lim && compareQuantities(lim, min) < 0) errors.push(`minimum ${name} usage per ${type} is ${show(min)}, but limit is ${show(lim)}`);
  }
  for (const [name, max] of [...parsed(item.max)].sort(([a], [b]) => a.localeCompare(b))) {
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!lim) errors.push(`maximum ${name} usage per ${type} is ${show(max)}.  No limit is specified`);
    else if (compareQuantities(lim, max) > 0) errors.push(`maximum ${name} usage per ${type} is ${show(max)}, but limit is ${show(lim)}`);
    else if (req && compareQuantities(req, max) > 0) errors.push(`maximum ${name} usage per ${type} is ${show(max)}, but request is ${show(req)}`);
  }
  for (const [name, ratio] of [...parsed(item.maxLimitRequestRatio)].sort(([a], [b]) => a.localeCompare(b))) {
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!req || req.nanos === 0n) errors.push(`${name} max limit to request ratio per ${type} is ${show(ratio)}, but no request is specified or request is 0`);
    else if (!lim || lim.nanos === 0n) errors.push(`${name} max limit to request ratio per ${type} is ${show(ratio)}, but no limit is specified or limit is 0`);
    else {
      const observed = quantityMilliValue(lim) / quantityMilliValue(req);
      if (observed * 1000 > quantityMilliValue(ratio)) errors.push(`${name} max limit to request ratio per ${type} is ${show(ratio)}, but provided ratio is ${observed.toFixed(6)}`);
    }
  }
  return errors;
}

/** A default limit below a request the pod states leaves an invalid pod: refuse it as validation would have. */
function requestsWithinLimits(containers: [string, Container[]][]): FieldError[] {
  const errs: FieldError[] = [];
  for (const [field, list] of containers) {
    list.forEach((c, i) => {
      const limits = parsed(c.resources?.limits);
      for (const [name, req] of parsed(c.resources?.requests)) {
        const lim: Quantity | undefined = limits.get(name);
        if (lim && compareQuantities(req, lim) > 0) {
          errs.push(invalid(FieldPath.root('spec').child(field).index(i).child('resources').child('requests'), show(req), `must be less than or equal to ${name} limit of ${show(lim)}`));
        }
      }
    });
  }
  return errs;
}

/** The claim's storage against PersistentVolumeClaim items: min as for containers, max against the request. */
function checkClaim(item: LimitItem, requests: Usage): string[] {
  const errors = check('PersistentVolumeClaim', { type: item.type, min: item.min }, requests, new Map());
  for (const [name, max] of [...parsed(item.max)].sort(([a], [b]) => a.localeCompare(b))) {
    const req = requests.get(name);
    if (!req) errors.push(`maximum ${name} usage per PersistentVolumeClaim is ${show(max)}.  No request is specified`);
    else if (compareQuantities(req, max) > 0) errors.push(`maximum ${name} usage per PersistentVolumeClaim is ${show(max)}, but request is ${show(req)}`);
  }
  return errors;
}

function refuse(resource: string, name: string, errors: string[]): void {
  if (errors.length === 0) return;
  const message = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
  throw apiErrors.forbidden(`${resource} "${name}" is forbidden: ${message}`, { group: '', resource }, name);
}

export function limitRangerAdmission(ctx: ApiContext) {
  const itemsOf = (namespace: string | undefined): LimitItem[] => {
    const lrDef = ctx.table.get('', 'v1', 'limitranges');
    if (!lrDef) return [];
    return ctx.cache.list(lrDef.storagePath, storagePrefix(lrDef, namespace)).flatMap((c) => (c.obj.spec?.limits ?? []) as LimitItem[]);
  };
  return (def: ResourceDefinition, obj: KObject, old: KObject | undefined): void => {
    if (old || def.group !== '') return;
    if (def.kind === 'PersistentVolumeClaim') {
      const claims = itemsOf(obj.metadata.namespace).filter((i) => i.type === 'PersistentVolumeClaim');
      refuse('persistentvolumeclaims', obj.metadata.name ?? '', claims.flatMap((i) => checkClaim(i, parsed(obj.spec?.resources?.requests))));
      return;
    }
    if (def.kind === 'Pod' && obj.spec) admitPod(obj, itemsOf(obj.metadata.namespace));
  };
}

function admitPod(pod: KObject, items: LimitItem[]): void {
  if (items.length === 0) return;
  const defaults = { requests: {} as List, limits: {} as List };
  for (const item of items.filter((i) => i.type === 'Container')) {
    Object.assign(defaults.requests, item.defaultRequest ?? {});
    Object.assign(defaults.limits, item.default ?? {});
  }
  const groups: [string, string, Container[]][] = [['containers', 'container', pod.spec!.containers ?? []], ['initContainers', 'init container', pod.spec!.initContainers ?? []]];
  const notes = groups.flatMap(([, kind, list]) => list.flatMap((c) => applyDefaults(c, kind, defaults)));
  if (notes.length) pod.metadata.annotations = { ...pod.metadata.annotations, [ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
  const name = pod.metadata.name ?? '';
  const invalidFields = requestsWithinLimits(groups.map(([field, , list]) => [field, list]));
  if (invalidFields.length) throw apiErrors.invalid('Pod', '', name, invalidFields);
  const errors: string[] = [];
  for (const item of items) {
    if (item.type === 'Container') {
      for (const [, , list] of groups) for (const c of list) errors.push(...check('Container', item, parsed(c.resources?.requests), parsed(c.resources?.limits)));
    } else if (item.type === 'Pod') {
      errors.push(...check('Pod', item, podResources(pod, 'requests'), podResources(pod, 'limits')));
    }
  }
  refuse('pods', name, errors);
}
