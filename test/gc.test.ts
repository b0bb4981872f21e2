/**
 * The garbage collector through real kubectl: `kubectl delete --cascade=background|foreground|
 * orphan` on hand-made owner chains (ConfigMaps owning ConfigMaps, custom resources on either
 * side), dependents of an owner that never existed, and ReplicaSets/Deployments taking their
 * pods with them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';

const { cluster, ok } = clusterPerFile();

/** Polls `check` until it returns a value (not undefined), for up to 60 s. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last !== undefined) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function exists(kind: string, name: string): Promise<boolean> {
  const r = await cluster().kubectl(['get', kind, name, '-o', 'name']);
  if (r.code === 0) return true;
  assert.match(r.stderr, /NotFound/, r.stderr);
  return false;
}

const gone = (kind: string, name: string) => until(`${kind} ${name} to be deleted`, async () => ((await exists(kind, name)) ? undefined : true));

async function uid(kind: string, name: string): Promise<string> {
  return ok(['get', kind, name, '-o', 'jsonpath={.metadata.uid}']);
}

async function configMap(name: string, owner?: { kind: string; apiVersion: string; name: string }, extra = ''): Promise<void> {
  const refs = owner ? `ownerReferences: [{apiVersion: ${owner.apiVersion}, kind: ${owner.kind}, name: ${owner.name}, uid: "${await uid(owner.kind, owner.name)}", blockOwnerDeletion: true}]` : '';
  await ok(['apply', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, ${extra} ${refs}}\n`);
}

/** owner → a, b; a → leaf (the leaf may carry extra metadata, e.g. a finalizer). */
async function chain(prefix: string, leafExtra = ''): Promise<void> {
  await configMap(prefix);
  await configMap(`${prefix}-a`, { kind: 'ConfigMap', apiVersion: 'v1', name: prefix });
  await configMap(`${prefix}-b`, { kind: 'ConfigMap', apiVersion: 'v1', name: prefix });
  await configMap(`${prefix}-leaf`, { kind: 'ConfigMap', apiVersion: 'v1', name: `${prefix}-a` }, leafExtra);
}

test('background: deleting the owner deletes dependents and their dependents', async () => {
  await chain('bg');
  await ok(['delete', 'configmap', 'bg']);
  for (const name of ['bg-a', 'bg-b', 'bg-leaf']) await gone('configmap', name);
});

test('foreground: the owner stays until its blocking dependents are gone, all the way down', async () => {
  await chain('fg', 'finalizers: [example.com/hold],');
  await ok(['delete', 'configmap', 'fg', '--cascade=foreground', '--wait=false']);
  // The leaf's finalizer holds fg-a, which holds fg; fg-b (no dependents) goes.
  await gone('configmap', 'fg-b');
  const waiting = await until('fg-a to wait in the foreground', async () => {
    const out = await ok(['get', 'configmap', 'fg', 'fg-a', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.metadata.finalizers}{"\\n"}{end}']);
    return out.includes('fg-a=["foregroundDeletion"]') ? out : undefined;
  });
  assert.match(waiting, /^fg=\["foregroundDeletion"\]$/m);
  await ok(['patch', 'configmap', 'fg-leaf', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
  for (const name of ['fg-leaf', 'fg-a', 'fg']) await gone('configmap', name);
});

test('foreground: when kubectl returns, the dependents are already gone', async () => {
  await chain('fw');
  await ok(['delete', 'configmap', 'fw', '--cascade=foreground']);
  for (const name of ['fw-a', 'fw-b', 'fw-leaf']) assert.equal(await exists('configmap', name), false, name);
  // Without dependents the finalizer goes at once too.
  await configMap('alone');
  await ok(['delete', 'configmap', 'alone', '--cascade=foreground']);
  assert.equal(await exists('configmap', 'alone'), false);
});

test('foreground: an ownership cycle does not wait forever', async () => {
  await configMap('cycle-a');
  await configMap('cycle-b', { kind: 'ConfigMap', apiVersion: 'v1', name: 'cycle-a' });
  const b = await uid('configmap', 'cycle-b');
  await ok(['patch', 'configmap', 'cycle-a', '--type=merge', '-p', JSON.stringify({ metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'cycle-b', uid: b, blockOwnerDeletion: true }] } })]);
  await ok(['delete', 'configmap', 'cycle-a', '--cascade=foreground', '--wait=false']);
  await gone('configmap', 'cycle-a');
  await gone('configmap', 'cycle-b');
});

test('orphan: dependents stay, without the reference to the deleted owner', async () => {
  await chain('or');
  await ok(['delete', 'configmap', 'or', '--cascade=orphan']);
  assert.equal(await exists('configmap', 'or'), false);
  for (const name of ['or-a', 'or-b']) assert.equal(await ok(['get', 'configmap', name, '-o', 'jsonpath={.metadata.ownerReferences}']), '', name);
  // or-a still owns the leaf.
  assert.match(await ok(['get', 'configmap', 'or-leaf', '-o', 'jsonpath={.metadata.ownerReferences[0].name}']), /^or-a$/);
});

test('a dependent whose owner does not exist (or is another object by that name) is deleted', async () => {
  await configMap('reborn');
  const refs = (name: string, uidValue: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: reborn, uid: "${uidValue}"}]\n`;
  await ok(['apply', '-f', '-'], refs('stale-owner', '00000000-0000-4000-8000-000000000000'));
  await ok(['apply', '-f', '-'], refs('live-owner', await uid('configmap', 'reborn')));
  await gone('configmap', 'stale-owner');
  assert.equal(await exists('configmap', 'live-owner'), true);
});

test('an owner in another namespace is absent: the dependent goes, with an OwnerRefInvalidNamespace event', async () => {
  await ok(['create', 'namespace', 'gc-other']);
  await ok(['-n', 'gc-other', 'create', 'configmap', 'far-owner']);
  const farUid = await ok(['-n', 'gc-other', 'get', 'configmap', 'far-owner', '-o', 'jsonpath={.metadata.uid}']);
  await ok(['apply', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cross\n  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: far-owner, uid: "${farUid}"}]\n`);
  await gone('configmap', 'cross');
  const message = await until('the event', async () => (await ok(['get', 'events', '--field-selector', 'reason=OwnerRefInvalidNamespace', '-o', 'jsonpath={.items[*].message}'])) || undefined);
  assert.equal(message, `ownerRef [v1/ConfigMap, namespace: default, name: far-owner, uid: ${farUid}] does not exist in namespace "default"`);
});

test('custom resources own and are owned', async () => {
  await ok(['apply', '-f', '-'], `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.gc.example.com}
spec:
  group: gc.example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`);
  await ok(['wait', '--for=condition=Established', 'crd/widgets.gc.example.com', '--timeout=60s']);
  await until('widgets to be served', async () => ((await cluster().kubectl(['get', 'widgets'])).code === 0 ? true : undefined));
  await configMap('cr-owner');
  await ok(['apply', '-f', '-'], `apiVersion: gc.example.com/v1\nkind: Widget\nmetadata:\n  name: owned\n  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: cr-owner, uid: "${await uid('configmap', 'cr-owner')}"}]\n`);
  await ok(['apply', '-f', '-'], 'apiVersion: gc.example.com/v1\nkind: Widget\nmetadata: {name: owner}\n');
  await configMap('cr-owned', { kind: 'Widget', apiVersion: 'gc.example.com/v1', name: 'owner' });
  await ok(['delete', 'configmap', 'cr-owner']);
  await gone('widget', 'owned');
  await ok(['delete', 'widget', 'owner', '--cascade=foreground']);
  assert.equal(await exists('configmap', 'cr-owned'), false);
});

test('deleting a ReplicaSet deletes its pods', async () => {
  await ok(['apply', '-f', '-'], `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec:
  replicas: 2
  selector: {matchLabels: {app: rs}}
  template:
    metadata: {labels: {app: rs}}
    spec: {containers: [{name: c, image: busybox}]}
`);
  await until('two pods', async () => ((await ok(['get', 'pods', '-l', 'app=rs', '-o', 'name'])).trim().split('\n').filter(Boolean).length === 2 ? true : undefined));
  await ok(['delete', 'replicaset', 'rs']);
  await until('the pods to go', async () => ((await ok(['get', 'pods', '-l', 'app=rs', '-o', 'name'])).trim() === '' ? true : undefined));
});

test('deleting a Deployment deletes its ReplicaSets and pods; orphaning keeps them', async () => {
  await ok(['create', 'deployment', 'web', '--image=busybox', '--replicas=2']);
  await until('a ReplicaSet and two pods', async () => {
    const rs = (await ok(['get', 'replicasets', '-l', 'app=web', '-o', 'name'])).trim();
    const pods = (await ok(['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim().split('\n').filter(Boolean);
    return rs && pods.length === 2 ? true : undefined;
  });
  await ok(['delete', 'deployment', 'web', '--cascade=foreground']);
  assert.equal((await ok(['get', 'replicasets,pods', '-l', 'app=web', '-o', 'name'])).trim(), '', 'foreground: nothing left once kubectl returns');

  await ok(['create', 'deployment', 'kept', '--image=busybox', '--replicas=1']);
  const rs = await until('a ReplicaSet', async () => (await ok(['get', 'replicasets', '-l', 'app=kept', '-o', 'name'])).trim() || undefined);
  await ok(['delete', 'deployment', 'kept', '--cascade=orphan']);
  assert.equal(await ok(['get', rs, '-o', 'jsonpath={.metadata.ownerReferences}']), '');
});
