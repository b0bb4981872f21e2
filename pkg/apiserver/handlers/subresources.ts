/**
 * Subresources served by the generic store: status (the same object, status half writable),
 * scale (autoscaling/v1 Scale over the replicas paths of the table), pods/binding, and the
 * namespace finalize endpoint. Exec, log and the like belong to the kubelet proxy.
 */
import type { KObject, ResourceDefinition } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';
import { readBody } from '../http/body.ts';
import { sendObject } from '../http/respond.ts';
import { strategyContext, type Scope } from './context.ts';
import { dryRunOf, readObject } from './write.ts';

function readPath(obj: KObject, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function writePath(obj: KObject, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur = obj as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) {
    if (cur[part] === null || typeof cur[part] !== 'object') cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

/** A label selector object as the string form Scale.status.selector carries. */
function selectorString(selector: unknown): string | undefined {
  if (typeof selector === 'string') return selector;
  if (!selector || typeof selector !== 'object') return undefined;
  let s = selector as { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
  // ReplicationControllers select with a plain label map.
  if (s.matchLabels === undefined && s.matchExpressions === undefined) s = { matchLabels: selector as Record<string, string> };
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const op = e.operator;
    if (op === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (op === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (op === 'Exists') parts.push(e.key);
    else if (op === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.sort().join(',');
}

export function scaleOf(def: ResourceDefinition, obj: KObject): KObject {
  const scale = def.scale!;
  const status: Record<string, unknown> = { replicas: Number(readPath(obj, scale.statusReplicasPath) ?? 0) };
  const selector = scale.labelSelectorPath ? selectorString(readPath(obj, scale.labelSelectorPath)) : undefined;
  if (selector) status.selector = selector;
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: Number(readPath(obj, scale.specReplicasPath) ?? 0) },
    status,
  };
}

export async function handleScale(scope: Scope): Promise<void> {
  const { ctx, def, info, req } = scope;
  if (!def.scale) throw apiErrors.notFound({ group: def.group, resource: `${def.plural}/scale` }, info.name);
  if (req.method === 'GET') {
    sendObject(scope.res, 200, scaleOf(def, await ctx.store.get(def, info.namespace, info.name)), scope.output);
    return;
  }
  const dryRun = dryRunOf(scope.query);
  let desired: KObject;
  if (req.method === 'PUT') {
    desired = await readObject(scope);
  } else if (req.method === 'PATCH' && ctx.patcher) {
    const body = await readBody(req);
    const current = await ctx.store.get(def, info.namespace, info.name);
    desired = await ctx.patcher.apply(String(req.headers['content-type'] ?? ''), scaleOf(def, current), body, { ...scope, def: scaleDefinition(def) });
  } else {
    throw apiErrors.methodNotAllowed('the server does not allow this method on the requested resource');
  }
  const replicas = desired.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw apiErrors.invalid('Scale', 'autoscaling', info.name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', badValue: replicas, detail: 'must be greater than or equal to 0' }]);
  }
  const result = await ctx.store.update(def, info.namespace, info.name, (current) => {
    if (!current) throw apiErrors.notFound({ group: def.group, resource: def.plural }, info.name);
    if (desired.metadata.resourceVersion) current.metadata.resourceVersion = desired.metadata.resourceVersion;
    writePath(current, def.scale!.specReplicasPath, replicas);
    return current;
  }, strategyContext(scope, dryRun));
  sendObject(scope.res, 200, scaleOf(def, result.obj), scope.output);
}

/** A stand-in definition so patches of a Scale are checked against the Scale schema. */
function scaleDefinition(def: ResourceDefinition): ResourceDefinition {
  return { ...def, group: 'autoscaling', version: 'v1', kind: 'Scale', schema: 'io.k8s.api.autoscaling.v1.Scale', subresources: [] };
}

/** POST pods/<name>/binding (and the older POST bindings): sets spec.nodeName once. */
export async function handleBinding(scope: Scope, podName: string): Promise<void> {
  const { ctx, info } = scope;
  const podDef = ctx.table.get('', 'v1', 'pods')!;
  const binding = await readObject({ ...scope, def: { ...podDef, kind: 'Binding', group: '', version: 'v1' }, info: { ...info, subresource: '' } });
  const node = binding.target?.name;
  if (typeof node !== 'string' || node === '') {
    throw apiErrors.invalid('Binding', '', podName, [{ type: 'FieldValueRequired', field: 'target.name' }]);
  }
  // Kubernetes assigns the pod straight in storage: a binding records no field manager.
  await ctx.store.update(podDef, info.namespace, podName, (pod) => {
    if (!pod) throw apiErrors.notFound({ group: '', resource: 'pods' }, podName);
    if (binding.metadata.uid && binding.metadata.uid !== pod.metadata.uid) {
      throw apiErrors.conflict({ group: '', resource: 'pods' }, podName, `Precondition failed: UID in precondition: ${binding.metadata.uid}, UID in object meta: ${pod.metadata.uid}`);
    }
    if (pod.metadata.deletionTimestamp) throw apiErrors.conflict({ group: '', resource: 'pods/binding' }, podName, 'pod is being deleted, cannot be assigned to a host');
    if (pod.spec?.nodeName) throw apiErrors.conflict({ group: '', resource: 'pods/binding' }, podName, `pod ${podName} is already assigned to node "${pod.spec.nodeName}"`);
    pod.spec.nodeName = node;
    pod.status ??= {};
    const conditions = (pod.status.conditions ?? []).filter((c: { type: string }) => c.type !== 'PodScheduled');
    conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
    pod.status.conditions = conditions;
    return pod;
  }, { ...strategyContext(scope, dryRunOf(scope.query)), subresource: 'binding', fieldManager: undefined });
  sendObject(scope.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }, scope.output);
}
