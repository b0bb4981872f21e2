/**
 * Pods: the pod-only defaults (requests from limits, enableServiceLinks), PrepareForCreate
 * (status Pending with its QoS class), the update rule that lets only images, deadlines,
 * tolerations and grace periods change, and the pods/status and pods/ephemeralcontainers writes.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy, StrategyContext } from '../../types.ts';
import {
  type Quantity,
  addQuantities,
  compareQuantities,
  forbidden,
  invalid,
  jsonEqual,
  tryParseQuantity,
} from '../../validation/index.ts';
import { coreDefinition } from './definition.ts';
import { defaultPodSpec, validatePodSpec } from './podtemplate.ts';
import { type Obj, list } from './shape.ts';
import { cloneJson } from '../../json.ts';


/** SetDefaults_Pod: a container with limits but no requests requests its limits. */
export function defaultPod(pod: KObject): void {
  const spec = (pod.spec ??= {}) as Obj;
  for (const c of [...list(spec.containers), ...list(spec.initContainers)]) {
    const limits = c?.resources?.limits;
    if (!limits || typeof limits !== 'object') continue;
    const requests = (c.resources.requests ??= {});
    for (const [name, value] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = value;
  }
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
  defaultPodSpec(spec);
}

const QOS_RESOURCES = ['cpu', 'memory'];

/** Kubernetes' GetPodQOS over init and regular containers. */
export function podQOSClass(spec: Obj | undefined): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const add = (into: Map<string, Quantity>, name: string, q: Quantity): void => {
    const have = into.get(name);
    into.set(name, have ? addQuantities(have, q) : q);
  };
  for (const c of [...list(spec?.containers), ...list(spec?.initContainers)]) {
    for (const [name, value] of Object.entries(c?.resources?.requests ?? {})) {
      const q = tryParseQuantity(value);
      if (QOS_RESOURCES.includes(name) && q && q.nanos > 0n) add(requests, name, q);
    }
    const found = new Set<string>();
    for (const [name, value] of Object.entries(c?.resources?.limits ?? {})) {
      const q = tryParseQuantity(value);
      if (QOS_RESOURCES.includes(name) && q && q.nanos > 0n) {
        found.add(name);
        add(limits, name, q);
      }
    }
    if (!QOS_RESOURCES.every((r) => found.has(r))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, q] of requests) {
      const limit = limits.get(name);
      if (!limit || compareQuantities(limit, q) !== 0) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

export const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Paths whose values differ, for the diff Kubernetes appends to the Forbidden message. */
function differences(a: unknown, b: unknown, path: string, out: string[]): void {
  if (jsonEqual(a, b)) return;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) differences((a as Obj)[k], (b as Obj)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`, out);
    return;
  }
  out.push(`${path}: ${JSON.stringify(a) ?? 'null'} -> ${JSON.stringify(b) ?? 'null'}`);
}

/** ValidatePodUpdate for the main resource: the spec is fixed but for a few fields. */
export function validatePodSpecUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const old = oldSpec ?? {};
  const munged = cloneJson(spec ?? {});
  // Take over what may change, then whatever still differs may not.
  for (const key of ['containers', 'initContainers']) {
    list(munged[key]).forEach((c, i) => {
      const before = list(old[key])[i];
      if (before && c) c.image = before.image;
    });
  }
  const deadline = spec?.activeDeadlineSeconds;
  const oldDeadline = old.activeDeadlineSeconds;
  if (oldDeadline !== undefined && oldDeadline !== null) {
    if (deadline === undefined || deadline === null) errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
    else if (deadline > oldDeadline) errs.push(invalid('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value'));
  }
  munged.activeDeadlineSeconds = old.activeDeadlineSeconds;
  if (munged.activeDeadlineSeconds === undefined) delete munged.activeDeadlineSeconds;
  const oldTolerations = list(old.tolerations);
  const kept = oldTolerations.every((t) => list(spec?.tolerations).some((n) => jsonEqual({ ...n, tolerationSeconds: undefined }, { ...t, tolerationSeconds: undefined })));
  if (kept) {
    munged.tolerations = old.tolerations;
    if (munged.tolerations === undefined) delete munged.tolerations;
  }
  if ((old.terminationGracePeriodSeconds ?? 0) < 0 && spec?.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = old.terminationGracePeriodSeconds;
  // Ephemeral containers change only through their own subresource, checked there.
  munged.ephemeralContainers = old.ephemeralContainers;
  if (munged.ephemeralContainers === undefined) delete munged.ephemeralContainers;
  if (!jsonEqual(munged, old)) {
    const diff: string[] = [];
    differences(old, munged, 'spec', diff);
    errs.push(forbidden('spec', `${POD_UPDATE_FORBIDDEN}\n${diff.join('\n')}`));
  }
  return errs;
}

/** Ephemeral containers may be added, never changed or removed. */
function validateEphemeralUpdate(spec: Obj, oldSpec: Obj): FieldError[] {
  const now = new Map(list(spec?.ephemeralContainers).map((c) => [c?.name, c]));
  for (const before of list(oldSpec?.ephemeralContainers)) {
    const after = now.get(before?.name);
    if (!after) return [forbidden('spec.ephemeralContainers', `existing ephemeral containers "${before?.name}" may not be removed`)];
    if (!jsonEqual(after, before)) return [forbidden('spec.ephemeralContainers', `existing ephemeral containers "${before?.name}" may not be changed`)];
  }
  return [];
}

export const podStrategy: Strategy = {
  defaults: defaultPod,
  gracefulDeletion: true,
  prepareForCreate(pod: KObject) {
    const spec = pod.spec as Obj;
    // The ServiceAccount admission plugin sets this in Kubernetes; spec.priority and
    // preemptionPolicy come from the Priority admission plugin (pkg/server/admission.ts).
    if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
    spec.serviceAccount = spec.serviceAccountName;
    pod.status = { phase: 'Pending', qosClass: podQOSClass(spec) };
    if (list(spec.schedulingGates).length > 0) {
      pod.status.conditions = [
        { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates', lastProbeTime: null, lastTransitionTime: null },
      ];
    }
  },
  prepareForUpdate(pod: KObject, old: KObject, ctx: StrategyContext) {
    // The binding handler sets spec.nodeName and the PodScheduled condition itself.
    if (ctx.subresource === 'binding') return;
    if (ctx.subresource === 'status') {
      pod.spec = cloneJson(old.spec);
      return;
    }
    pod.status = cloneJson(old.status);
    if (ctx.subresource === 'ephemeralcontainers') {
      const ephemeral = pod.spec?.ephemeralContainers;
      pod.spec = cloneJson(old.spec);
      if (ephemeral === undefined) delete pod.spec.ephemeralContainers;
      else pod.spec.ephemeralContainers = ephemeral;
    }
  },
  validate(pod: KObject) {
    const errs = validatePodSpec(pod.spec);
    if (list(pod.spec?.ephemeralContainers).length > 0) errs.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
    return errs;
  },
  validateUpdate(pod: KObject, old: KObject, ctx: StrategyContext) {
    if (ctx.subresource === 'status') return validatePodStatus(pod.status);
    const errs = validatePodSpec(pod.spec);
    if (ctx.subresource === 'binding') return errs;
    if (ctx.subresource === 'ephemeralcontainers') return [...errs, ...validateEphemeralUpdate(pod.spec, old.spec)];
    return [...errs, ...validatePodSpecUpdate(pod.spec, old.spec)];
  },
};

/**
 * The grace period a pod DELETE gets (Kubernetes' CheckGracefulDelete): the request's, else the
 * pod's terminationGracePeriodSeconds; 0 for pods never scheduled or already finished, which
 * no kubelet will clean up.
 */
export function podGracePeriodSeconds(pod: KObject, requested?: number): number {
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') return 0;
  return requested ?? pod.spec?.terminationGracePeriodSeconds ?? 0;
}

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];

function validatePodStatus(status: Obj | undefined): FieldError[] {
  if (status?.phase && !PHASES.includes(status.phase)) return [invalid('status.phase', status.phase, 'must be one of Pending, Running, Succeeded, Failed, Unknown')];
  return [];
}

const podIPs = (pod: KObject): string[] => list(pod.status?.podIPs).map((p) => p?.ip).filter(Boolean);

export const podFieldSelectors: Record<string, (obj: KObject) => string | undefined> = {
  'spec.nodeName': (p) => p.spec?.nodeName ?? '',
  'spec.restartPolicy': (p) => p.spec?.restartPolicy ?? '',
  'spec.schedulerName': (p) => p.spec?.schedulerName ?? '',
  'spec.serviceAccountName': (p) => p.spec?.serviceAccountName ?? '',
  'spec.hostNetwork': (p) => String(p.spec?.hostNetwork === true),
  'status.phase': (p) => p.status?.phase ?? '',
  'status.podIP': (p) => podIPs(p)[0] ?? '',
  // Accepted as a field label but not among Kubernetes' selectable fields, so it reads as empty.
  'status.podIPs': () => '',
  'status.nominatedNodeName': (p) => p.status?.nominatedNodeName ?? '',
};

export function podResource(): ResourceDefinition {
  return coreDefinition({
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'resize', 'status'],
    strategy: podStrategy,
    fieldSelectors: podFieldSelectors,
  });
}
