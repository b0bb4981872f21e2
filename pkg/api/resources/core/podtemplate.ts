/**
 * Pod specs and pod templates, the part of core/v1 every workload kind embeds: defaulting
 * (re-exported from podspec-defaults.ts) and ValidatePodSpec / ValidatePodTemplateSpec.
 */
import type { FieldError } from '../../types.ts';
import {
  FieldPath,
  forbidden,
  inclusiveRangeError,
  invalid,
  invalidEach,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  duplicate,
  notSupported,
  required,
  validateAnnotations,
  validateIP,
  validateLabels,
} from '../../validation/index.ts';
import { type ContainerContext, validateContainer } from './container-validation.ts';
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from './scheduling-validation.ts';
import { validateVolumes } from './volume-validation.ts';
import { type Obj, list } from './shape.ts';

export { defaultContainer, defaultPodSpec, defaultPodTemplateSpec, imageTag } from './podspec-defaults.ts';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
export const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];

const asPath = (p: FieldPath | string): FieldPath => (typeof p === 'string' ? FieldPath.root(p) : p);

function validateDNSConfig(spec: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const config = spec.dnsConfig;
  if (spec.dnsPolicy === 'None' && !config) {
    errs.push(required(path.child('dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  if (spec.dnsPolicy === 'None' && config && list(config.nameservers).length === 0) {
    errs.push(required(path.child('dnsConfig', 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None'));
  }
  list(config?.nameservers).forEach((ns, i) => errs.push(...validateIP(String(ns), path.child('dnsConfig', 'nameservers').index(i))));
  return errs;
}

function validateNames(spec: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const dnsSubdomainFields = ['serviceAccountName', 'nodeName', 'priorityClassName'];
  for (const f of dnsSubdomainFields) if (spec[f]) errs.push(...invalidEach(path.child(f), spec[f], isDNS1123Subdomain(spec[f])));
  for (const f of ['hostname', 'subdomain']) if (spec[f]) errs.push(...invalidEach(path.child(f), spec[f], isDNS1123Label(spec[f])));
  return errs;
}

function validatePodLevel(spec: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec.restartPolicy) errs.push(required(path.child('restartPolicy')));
  else if (!RESTART_POLICIES.includes(spec.restartPolicy)) errs.push(notSupported(path.child('restartPolicy'), spec.restartPolicy, RESTART_POLICIES));
  if (!spec.dnsPolicy) errs.push(required(path.child('dnsPolicy')));
  else if (!DNS_POLICIES.includes(spec.dnsPolicy)) errs.push(notSupported(path.child('dnsPolicy'), spec.dnsPolicy, DNS_POLICIES));
  errs.push(...validateDNSConfig(spec, path));
  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  errs.push(...validateNames(spec, path));
  const deadline = spec.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && !(deadline >= 1 && deadline <= 2147483647)) {
    errs.push(invalid(path.child('activeDeadlineSeconds'), deadline, inclusiveRangeError(1, 2147483647)));
  }
  errs.push(...validateTolerations(spec.tolerations, path.child('tolerations')));
  errs.push(...validateAffinity(spec.affinity, path.child('affinity')));
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, path.child('topologySpreadConstraints')));
  list(spec.hostAliases).forEach((alias, i) => errs.push(...validateIP(String(alias.ip ?? ''), path.child('hostAliases').index(i).child('ip'))));
  list(spec.readinessGates).forEach((gate, i) => {
    const p = path.child('readinessGates').index(i).child('conditionType');
    errs.push(...invalidEach(p, gate.conditionType ?? '', isQualifiedName(gate.conditionType ?? '')));
  });
  const gates = new Set<string>();
  list(spec.schedulingGates).forEach((gate, i) => {
    const p = path.child('schedulingGates').index(i).child('name');
    errs.push(...invalidEach(p, gate.name ?? '', isQualifiedName(gate.name ?? '')));
    if (gates.has(gate.name)) errs.push(duplicate(p, gate.name));
    gates.add(gate.name);
  });
  if (spec.os?.name !== undefined && !['linux', 'windows'].includes(spec.os.name)) {
    errs.push(notSupported(path.child('os', 'name'), spec.os.name, ['linux', 'windows']));
  }
  return errs;
}

/** ValidatePodSpec: `path` is where the spec sits (`spec`, `spec.template.spec`). */
export function validatePodSpec(spec: Obj | undefined, path: FieldPath | string = 'spec'): FieldError[] {
  const p = asPath(path);
  const s = spec ?? {};
  const volumes = validateVolumes(s.volumes, p.child('volumes'));
  const errs = [...volumes.errors];
  const ctx = (kind: ContainerContext['kind']): ContainerContext => ({
    volumeNames: volumes.names,
    allNames,
    hostNetwork: s.hostNetwork === true,
    kind,
  });
  const allNames = new Set<string>();
  // Regular containers first: a clashing init container name is reported on the init container.
  if (list(s.containers).length === 0) errs.push(required(p.child('containers')));
  list(s.containers).forEach((c, i) => errs.push(...validateContainer(c, p.child('containers').index(i), ctx('regular'))));
  list(s.initContainers).forEach((c, i) => errs.push(...validateContainer(c, p.child('initContainers').index(i), ctx('init'))));
  list(s.ephemeralContainers).forEach((c, i) => errs.push(...validateContainer(c, p.child('ephemeralContainers').index(i), ctx('ephemeral'))));
  errs.push(...validatePodLevel(s, p));
  return errs;
}

/**
 * ValidatePodTemplateSpec: `path` is the template's (`spec.template`); its labels and
 * annotations are reported under `<path>.labels`, as Kubernetes does.
 */
export function validatePodTemplateSpec(template: Obj | undefined, path: FieldPath | string = 'template'): FieldError[] {
  const p = asPath(path);
  const t = template ?? {};
  const errs = [...validateLabels(t.metadata?.labels, p.child('labels')), ...validateAnnotations(t.metadata?.annotations, p.child('annotations'))];
  errs.push(...validatePodSpec(t.spec, p.child('spec')));
  if (list(t.spec?.ephemeralContainers).length > 0) {
    errs.push(forbidden(p.child('spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}
