/**
 * Namespace lifecycle through real kubectl: deleting a namespace deletes everything in it
 * (ConfigMaps, Secrets, custom resources, pods) and then the namespace; content held by a
 * finalizer shows in Kubernetes' namespace conditions; every namespace gets the `default`
 * ServiceAccount and the kube-root-ca.crt ConfigMap, and gets them back when they are deleted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';
import { startSimulate } from './lib/simulate.ts';

const { cluster, ok } = clusterPerFile();

async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.ns.example.com}
spec:
  group: ns.example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`;

test('deleting a namespace deletes its content, then the namespace', async () => {
  await ok(['apply', '-f', '-'], CRD);
  await ok(['wait', '--for=condition=Established', 'crd/gadgets.ns.example.com', '--timeout=60s']);
  await ok(['create', 'namespace', 'doomed']);
  await ok(['-n', 'doomed', 'create', 'configmap', 'cm', '--from-literal=a=b']);
  await ok(['-n', 'doomed', 'create', 'secret', 'generic', 'sec', '--from-literal=a=b']);
  await ok(['-n', 'doomed', 'run', 'pod', '--image=busybox', '--restart=Never']);
  // A pod some kubelet runs ends gracefully: the namespace waits for the node to confirm it.
  const sim = await startSimulate(cluster(), { nodes: 1, namePrefix: 'ns-sim-' });
  await ok(['-n', 'doomed', 'run', 'running', '--image=busybox', '--overrides={"spec":{"nodeName":"ns-sim-0"}}']);
  await ok(['-n', 'doomed', 'wait', '--for=condition=Ready', 'pod/running', '--timeout=60s']);
  await until('gadgets to be served', async () => ((await cluster().kubectl(['-n', 'doomed', 'get', 'gadgets'])).code === 0 ? true : undefined));
  await ok(['-n', 'doomed', 'apply', '-f', '-'], 'apiVersion: ns.example.com/v1\nkind: Gadget\nmetadata: {name: g}\n');
  // kubectl waits for the namespace to be gone.
  try {
    await ok(['delete', 'namespace', 'doomed', '--timeout=60s']);
  } finally {
    await sim.stop();
  }
  const r = await cluster().kubectl(['get', 'namespace', 'doomed']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /namespaces "doomed" not found/);
  // A namespace of that name starts empty (but for its defaults).
  await ok(['create', 'namespace', 'doomed']);
  assert.equal((await ok(['-n', 'doomed', 'get', 'configmap,secret,pods,gadgets', '-o', 'name'])).replace('configmap/kube-root-ca.crt', '').trim(), '');
});

test('content held by a finalizer keeps the namespace, and its conditions say why', async () => {
  await ok(['create', 'namespace', 'held']);
  await ok(['-n', 'held', 'apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stuck, finalizers: [example.com/hold]}\n');
  await ok(['delete', 'namespace', 'held', '--wait=false']);
  const conditions = await until('the namespace conditions', async () => {
    const out = await ok(['get', 'namespace', 'held', '-o', 'jsonpath={range .status.conditions[*]}{.type} {.status} {.reason}: {.message}{"\\n"}{end}']);
    return out.includes('NamespaceFinalizersRemaining True') ? out : undefined;
  });
  assert.match(conditions, /^NamespaceContentRemaining True SomeResourcesRemain: Some resources are remaining: configmaps has 1 resource instances$/m);
  assert.match(conditions, /^NamespaceFinalizersRemaining True SomeFinalizersRemain: Some content in the namespace has finalizers remaining: example\.com\/hold in 1 resource instances$/m);
  assert.match(conditions, /^NamespaceDeletionDiscoveryFailure False ResourcesDiscovered: All resources successfully discovered$/m);
  assert.match(conditions, /^NamespaceDeletionContentFailure False ContentDeleted: All content successfully deleted, may be waiting on finalization$/m);
  assert.equal(await ok(['get', 'namespace', 'held', '-o', 'jsonpath={.status.phase}']), 'Terminating');
  await ok(['-n', 'held', 'patch', 'configmap', 'stuck', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
  await ok(['wait', '--for=delete', 'namespace/held', '--timeout=60s']);
});

test('the default ServiceAccount and kube-root-ca.crt are there, and come back when deleted or edited', async () => {
  await ok(['create', 'namespace', 'defaults']);
  const ca = await until('kube-root-ca.crt', async () => {
    const r = await cluster().kubectl(['-n', 'defaults', 'get', 'configmap', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}']);
    return r.code === 0 && r.stdout ? r.stdout : undefined;
  });
  assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
  const uidOf = async (what: string) => {
    const r = await cluster().kubectl(['-n', 'defaults', 'get', what, '-o', 'jsonpath={.metadata.uid}']);
    return r.code === 0 && r.stdout ? r.stdout : undefined;
  };
  const saUid = await until('the default ServiceAccount', () => uidOf('serviceaccount/default'));
  const cmUid = (await uidOf('configmap/kube-root-ca.crt'))!;
  await ok(['-n', 'defaults', 'delete', 'serviceaccount', 'default']);
  await ok(['-n', 'defaults', 'delete', 'configmap', 'kube-root-ca.crt']);
  await until('a new default ServiceAccount', async () => {
    const u = await uidOf('serviceaccount/default');
    return u && u !== saUid ? u : undefined;
  });
  await until('a new kube-root-ca.crt', async () => {
    const u = await uidOf('configmap/kube-root-ca.crt');
    return u && u !== cmUid ? u : undefined;
  });
  await ok(['-n', 'defaults', 'patch', 'configmap', 'kube-root-ca.crt', '--type=merge', '-p', '{"data":{"ca.crt":"tampered"}}']);
  await until('the CA put back', async () => ((await ok(['-n', 'defaults', 'get', 'configmap', 'kube-root-ca.crt', '-o', 'jsonpath={.data.ca\\.crt}'])) === ca ? true : undefined));
});
