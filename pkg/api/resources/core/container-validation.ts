/**
 * Container validation as Kubernetes' validateContainers and friends: names, images, ports,
 * environment, volume mounts, resources, probes and lifecycle handlers.
 */
import type { FieldError } from '../../types.ts';
import {
  type FieldPath,
  compareQuantities,
  duplicate,
  forbidden,
  formatQuantity,
  invalid,
  invalidEach,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
  notFound,
  notSupported,
  required,
  validateNonnegative,
} from '../../validation/index.ts';
import { validateResourceList } from './resourcelist.ts';
import { type Obj, list } from './shape.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

export function validateContainerPorts(ports: unknown, path: FieldPath, hostNetwork: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  list(ports).forEach((port, i) => {
    const p = path.index(i);
    if (port.name) {
      errs.push(...invalidEach(p.child('name'), port.name, isValidPortName(port.name)));
      if (names.has(port.name)) errs.push(duplicate(p.child('name'), port.name));
      names.add(port.name);
    }
    if (!port.containerPort) errs.push(required(p.child('containerPort')));
    else errs.push(...invalidEach(p.child('containerPort'), port.containerPort, isValidPortNum(port.containerPort)));
    if (port.hostPort) errs.push(...invalidEach(p.child('hostPort'), port.hostPort, isValidPortNum(port.hostPort)));
    if (!port.protocol) errs.push(required(p.child('protocol')));
    else if (!PROTOCOLS.includes(port.protocol)) errs.push(notSupported(p.child('protocol'), port.protocol, PROTOCOLS));
    if (hostNetwork && port.hostPort && port.hostPort !== port.containerPort) {
      errs.push(invalid(p.child('hostPort'), port.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
    }
  });
  return errs;
}

const DOWNWARD_ENV_FIELDS = [
  'metadata.annotations',
  'metadata.labels',
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];

function validateObjectFieldSelector(ref: Obj, path: FieldPath): FieldError[] {
  if (!ref.apiVersion) return [required(path.child('apiVersion'))];
  if (!ref.fieldPath) return [required(path.child('fieldPath'))];
  const subscripted = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(ref.fieldPath);
  if (subscripted) return invalidEach(path.child('fieldPath'), subscripted[2], isQualifiedName(subscripted[2]!.toLowerCase()));
  const plain = DOWNWARD_ENV_FIELDS.filter((f) => f !== 'metadata.annotations' && f !== 'metadata.labels');
  return plain.includes(ref.fieldPath) ? [] : [notSupported(path.child('fieldPath'), ref.fieldPath, DOWNWARD_ENV_FIELDS)];
}

function validateKeyRef(ref: Obj, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.key) errs.push(required(path.child('key')));
  else errs.push(...invalidEach(path.child('key'), ref.key, isConfigMapKey(ref.key)));
  if (!ref.name) errs.push(required(path.child('name')));
  else errs.push(...invalidEach(path.child('name'), ref.name, isDNS1123Subdomain(ref.name)));
  return errs;
}

function validateEnvValueFrom(env: Obj, path: FieldPath): FieldError[] {
  const from = env.valueFrom as Obj;
  const errs: FieldError[] = [];
  const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => from[k]);
  if (sources.length === 0) return [invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`')];
  if (from.fieldRef) errs.push(...validateObjectFieldSelector(from.fieldRef, path.child('fieldRef')));
  if (from.resourceFieldRef && !from.resourceFieldRef.resource) errs.push(required(path.child('resourceFieldRef', 'resource')));
  if (from.configMapKeyRef) errs.push(...validateKeyRef(from.configMapKeyRef, path.child('configMapKeyRef')));
  if (from.secretKeyRef) errs.push(...validateKeyRef(from.secretKeyRef, path.child('secretKeyRef')));
  if (env.value && sources.length > 0) errs.push(invalid(path, '', 'may not be specified when `value` is not empty'));
  else if (sources.length > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  return errs;
}

export function validateEnv(envs: unknown, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  list(envs).forEach((env, i) => {
    const p = path.index(i);
    if (!env.name) errs.push(required(p.child('name')));
    else errs.push(...invalidEach(p.child('name'), env.name, isEnvVarName(env.name)));
    if (env.valueFrom) errs.push(...validateEnvValueFrom(env, p.child('valueFrom')));
  });
  return errs;
}

function validateLocalDescendingPath(target: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(invalid(path, target, 'must be a relative path'));
  if (target.split(/[\\/]/).includes('..')) errs.push(invalid(path, target, "must not contain '..'"));
  return errs;
}

export function validateVolumeMounts(mounts: unknown, volumeNames: Set<string>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const mountPaths = new Set<string>();
  list(mounts).forEach((m, i) => {
    const p = path.index(i);
    if (!m.name) errs.push(required(p.child('name')));
    else if (!volumeNames.has(m.name)) errs.push(notFound(p.child('name'), m.name));
    if (!m.mountPath) errs.push(required(p.child('mountPath')));
    else if (mountPaths.has(m.mountPath)) errs.push(invalid(p.child('mountPath'), m.mountPath, 'must be unique'));
    if (m.mountPath) mountPaths.add(m.mountPath);
    if (m.subPath) errs.push(...validateLocalDescendingPath(m.subPath, p.child('subPath')));
    if (m.subPath && m.subPathExpr) errs.push(invalid(p.child('subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
  });
  return errs;
}

/** Requests may not exceed limits; both must be quantities of container resources. */
export function validateResourceRequirements(resources: Obj | undefined, path: FieldPath): FieldError[] {
  if (!resources) return [];
  const limits = validateResourceList(resources.limits, path.child('limits'));
  const requests = validateResourceList(resources.requests, path.child('requests'));
  const errs = [...limits.errors, ...requests.errors];
  for (const [name, request] of requests.values) {
    const limit = limits.values.get(name);
    if (!limit) continue;
    const overcommitAllowed = !name.startsWith('hugepages-') && !(name.includes('/') && !name.includes('kubernetes.io/'));
    if (!overcommitAllowed && compareQuantities(request, limit) !== 0) {
      errs.push(invalid(path.child('requests'), formatQuantity(request), `must be equal to ${name} limit of ${formatQuantity(limit)}`));
    } else if (compareQuantities(request, limit) > 0) {
      errs.push(invalid(path.child('requests'), formatQuantity(request), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`));
    }
  }
  return errs;
}

function validatePortNumOrName(port: unknown, path: FieldPath): FieldError[] {
  if (typeof port === 'number') return invalidEach(path, port, isValidPortNum(port));
  if (typeof port === 'string' && port !== '') return invalidEach(path, port, isValidPortName(port));
  return [required(path)];
}

/** Exactly one of exec, httpGet, tcpSocket, grpc (sleep for lifecycle hooks). */
function validateHandler(handler: Obj, path: FieldPath, kinds: string[]): FieldError[] {
  const present = kinds.filter((k) => handler[k]);
  if (present.length === 0) return [required(path, 'must specify a handler type')];
  const errs: FieldError[] = present.slice(1).map((k) => forbidden(path.child(k), 'may not specify more than 1 handler type'));
  const only = present[0]!;
  const h = handler[only] as Obj;
  const p = path.child(only);
  if (only === 'exec' && !list(h.command).length) errs.push(required(p.child('command')));
  if (only === 'httpGet') {
    if (!h.path) errs.push(required(p.child('path')));
    errs.push(...validatePortNumOrName(h.port, p.child('port')));
    if (h.scheme && !['HTTP', 'HTTPS'].includes(h.scheme)) errs.push(notSupported(p.child('scheme'), h.scheme, ['HTTP', 'HTTPS']));
  }
  if (only === 'tcpSocket') errs.push(...validatePortNumOrName(h.port, p.child('port')));
  if (only === 'grpc') errs.push(...invalidEach(p.child('port'), h.port, isValidPortNum(h.port)));
  if (only === 'sleep') errs.push(...validateNonnegative(h.seconds, p.child('seconds')));
  return errs;
}

function validateProbe(probe: Obj | undefined, path: FieldPath, successMustBeOne: boolean): FieldError[] {
  if (!probe) return [];
  const errs = validateHandler(probe, path, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegative(probe[f], path.child(f)));
  }
  if (probe.terminationGracePeriodSeconds !== undefined && probe.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(path.child('terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  if (successMustBeOne && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    errs.push(invalid(path.child('successThreshold'), probe.successThreshold, 'must be 1'));
  }
  return errs;
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

export interface ContainerContext {
  volumeNames: Set<string>;
  /** Names taken by containers of every kind in the pod: names are unique across them. */
  allNames: Set<string>;
  hostNetwork: boolean;
  kind: 'regular' | 'init' | 'ephemeral';
}

/** Checks one container; probes are not allowed on ephemeral containers, nor some on init ones. */
export function validateContainer(c: Obj, path: FieldPath, ctx: ContainerContext): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(path.child('name')));
  else errs.push(...invalidEach(path.child('name'), c.name, isDNS1123Label(c.name)));
  if (c.name && ctx.allNames.has(c.name)) errs.push(duplicate(path.child('name'), c.name));
  if (c.name) ctx.allNames.add(c.name);
  if (!c.image) errs.push(required(path.child('image')));
  else if (String(c.image).trim() !== c.image) errs.push(invalid(path.child('image'), c.image, 'must not have leading or trailing whitespace'));
  if (!c.imagePullPolicy) errs.push(required(path.child('imagePullPolicy')));
  else if (!PULL_POLICIES.includes(c.imagePullPolicy)) errs.push(notSupported(path.child('imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  if (c.terminationMessagePolicy && !MESSAGE_POLICIES.includes(c.terminationMessagePolicy)) {
    errs.push(notSupported(path.child('terminationMessagePolicy'), c.terminationMessagePolicy, MESSAGE_POLICIES));
  } else if (!c.terminationMessagePolicy) errs.push(required(path.child('terminationMessagePolicy')));
  errs.push(...validateContainerPorts(c.ports, path.child('ports'), ctx.hostNetwork));
  errs.push(...validateEnv(c.env, path.child('env')));
  list(c.envFrom).forEach((source, i) => {
    const p = path.child('envFrom').index(i);
    const refs = ['configMapRef', 'secretRef'].filter((k) => source[k]);
    if (refs.length !== 1) errs.push(invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    if (source.prefix) errs.push(...invalidEach(p.child('prefix'), source.prefix, isEnvVarName(source.prefix)));
  });
  errs.push(...validateVolumeMounts(c.volumeMounts, ctx.volumeNames, path.child('volumeMounts')));
  errs.push(...validateResourceRequirements(c.resources, path.child('resources')));
  if (ctx.kind === 'ephemeral') {
    for (const f of ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources']) {
      const value = c[f];
      const empty = value === undefined || value === null || (typeof value === 'object' && Object.keys(value).length === 0);
      if (!empty) errs.push(forbidden(path.child(f), 'cannot be set for an Ephemeral Container'));
    }
    return errs;
  }
  const sidecar = ctx.kind === 'init' && c.restartPolicy === 'Always';
  if (ctx.kind === 'init' && c.restartPolicy !== undefined && c.restartPolicy !== 'Always') {
    errs.push(notSupported(path.child('restartPolicy'), c.restartPolicy, ['Always']));
  }
  if (ctx.kind === 'regular' && c.restartPolicy !== undefined) errs.push(forbidden(path.child('restartPolicy'), 'may not be set for non-init containers'));
  if (ctx.kind === 'init' && !sidecar) {
    for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
      if (c[f]) errs.push(forbidden(path.child(f), 'may not be set for init containers without restartPolicy=Always'));
    }
  } else {
    errs.push(...validateProbe(c.livenessProbe, path.child('livenessProbe'), true));
    errs.push(...validateProbe(c.readinessProbe, path.child('readinessProbe'), false));
    errs.push(...validateProbe(c.startupProbe, path.child('startupProbe'), true));
    for (const hook of ['postStart', 'preStop']) {
      if (c.lifecycle?.[hook]) errs.push(...validateHandler(c.lifecycle[hook], path.child('lifecycle', hook), ['exec', 'httpGet', 'tcpSocket', 'sleep']));
    }
  }
  return errs;
}
