/**
 * The two client libraries people write controllers and scripts with, against the real
 * dist/tsk: @kubernetes/client-node 1.4 in-process, and Debian's python3-kubernetes (22.x)
 * through test/clients/python_client.py. Each client must not be able to tell tsk from Kubernetes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { clusterPerFile } from './lib/cluster.ts';
import { byOperation, runPython } from './clients/python.ts';
import { Recorder } from './clients/waiting.ts';

const { cluster } = clusterPerFile();

// Built on first use: a top-level before() would race clusterPerFile's on Node 20.
let clients: { kc: KubeConfig; core: CoreV1Api; apps: AppsV1Api } | undefined;
function connect() {
  if (!clients) {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster().kubeconfig);
    clients = { kc, core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
  }
  return clients;
}

/**
 * A fresh namespace, once its kube-root-ca.crt ConfigMap is there: the root-CA publisher writes
 * it just after the namespace appears (as in Kubernetes), and a watch started before that
 * would see it arrive among the test's own events.
 */
async function createNamespace(name: string): Promise<string> {
  const { core } = connect();
  await core.createNamespace({ body: { metadata: { name } } });
  for (;;) {
    const list = await core.listNamespacedConfigMap({ namespace: name });
    if (list.items.some((cm) => cm.metadata?.name === 'kube-root-ca.crt')) return name;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The Status object a failed call carried, with the HTTP code the client saw. */
async function statusOf(call: Promise<unknown>): Promise<{ httpCode: number; status: Record<string, any> }> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof ApiException, `expected an ApiException, got ${String(error)}`);
    const body = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
    return { httpCode: error.code, status: body };
  }
  assert.fail('the call should have failed');
}

const nameOf = (obj: KubernetesObject) => obj.metadata?.name;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategicMergePatch = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

describe('@kubernetes/client-node', () => {
  test('lists namespaces and configmaps', async () => {
    const { core } = connect();
    const namespace = await createNamespace('client-list');
    const names = (await core.listNamespace()).items.map(nameOf);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease', namespace]) assert.ok(names.includes(ns), `${ns} in ${names}`);
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'listed' }, data: { k: 'v' } } });
    const list = await core.listNamespacedConfigMap({ namespace });
    assert.match(list.metadata?.resourceVersion ?? '', /^\d+$/);
    const listed = list.items.find((cm) => nameOf(cm) === 'listed');
    assert.deepEqual(listed?.data, { k: 'v' });
    assert.ok(listed?.metadata?.creationTimestamp instanceof Date, 'creationTimestamp deserializes to a Date');
  });

  test('creates, reads, patches (JSON, merge) and deletes a configmap', async () => {
    const { core } = connect();
    const namespace = await createNamespace('client-crud');
    const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'crud', labels: { app: 'x' } }, data: { a: '1' } } });
    assert.equal(created.metadata?.namespace, namespace);
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    const read = await core.readNamespacedConfigMap({ name: 'crud', namespace });
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    assert.deepEqual(read.data, { a: '1' });

    // Without a header the client sends a JSON patch (its first patch media type).
    const jsonPatched = await core.patchNamespacedConfigMap({ name: 'crud', namespace, body: [{ op: 'add', path: '/data/b', value: '2' }] });
    assert.deepEqual(jsonPatched.data, { a: '1', b: '2' });
    const merged = await core.patchNamespacedConfigMap({ name: 'crud', namespace, body: { metadata: { labels: { patched: 'yes' } }, data: { a: null, c: '3' } } }, mergePatch);
    assert.deepEqual(merged.data, { b: '2', c: '3' });
    assert.deepEqual(merged.metadata?.labels, { app: 'x', patched: 'yes' });
    assert.notEqual(merged.metadata?.resourceVersion, jsonPatched.metadata?.resourceVersion);

    const deleted = await core.deleteNamespacedConfigMap({ name: 'crud', namespace });
    assert.equal(deleted.status, 'Success');
    assert.equal(deleted.details?.name, 'crud');
    assert.equal((await statusOf(core.readNamespacedConfigMap({ name: 'crud', namespace }))).httpCode, 404);
  });

  test('creates a deployment with defaults, patches it (merge, strategic) and deletes it', async () => {
    const { apps } = connect();
    const namespace = await createNamespace('client-apps');
    const labels = { app: 'web' };
    const created = await apps.createNamespacedDeployment({
      namespace,
      body: { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
    });
    assert.equal(created.metadata?.generation, 1);
    assert.equal(created.spec?.strategy?.type, 'RollingUpdate');
    assert.equal(created.spec?.revisionHistoryLimit, 10);
    assert.equal(created.spec?.template.spec?.containers[0].imagePullPolicy, 'Always');

    const scaled = await apps.patchNamespacedDeployment({ name: 'web', namespace, body: { spec: { replicas: 3 } } }, mergePatch);
    assert.equal(scaled.spec?.replicas, 3);
    assert.equal(scaled.metadata?.generation, 2);
    const retagged = await apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } } } },
      strategicMergePatch,
    );
    const containers = retagged.spec?.template.spec?.containers ?? [];
    assert.deepEqual(containers.map((c) => [c.name, c.image, c.imagePullPolicy]), [['c', 'busybox:1.36', 'Always']]);

    const listed = await apps.listNamespacedDeployment({ namespace });
    assert.deepEqual(listed.items.map(nameOf), ['web']);
    await apps.deleteNamespacedDeployment({ name: 'web', namespace });
    const gone = await statusOf(apps.readNamespacedDeployment({ name: 'web', namespace }));
    assert.equal(gone.status.reason, 'NotFound');
  });

  test('NotFound and AlreadyExists are ApiExceptions carrying the Status', async () => {
    const { core, apps } = connect();
    const namespace = await createNamespace('client-errors');
    const missing = await statusOf(core.readNamespacedConfigMap({ name: 'missing', namespace }));
    assert.equal(missing.httpCode, 404);
    assert.deepEqual(
      [missing.status.kind, missing.status.status, missing.status.reason, missing.status.code, missing.status.message],
      ['Status', 'Failure', 'NotFound', 404, 'configmaps "missing" not found'],
    );
    assert.deepEqual([missing.status.details?.name, missing.status.details?.kind], ['missing', 'configmaps']);
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'twice' } } });
    const again = await statusOf(core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'twice' } } }));
    assert.equal(again.httpCode, 409);
    assert.equal(again.status.reason, 'AlreadyExists');
    assert.equal(again.status.code, 409);
    assert.equal(again.status.message, 'configmaps "twice" already exists');
    const unknownNamespace = await statusOf(apps.readNamespacedDeployment({ name: 'x', namespace: 'no-such-namespace' }));
    assert.deepEqual([unknownNamespace.httpCode, unknownNamespace.status.details?.group, unknownNamespace.status.details?.kind], [404, 'apps', 'deployments']);
  });
  test('a Status for a core resource has no empty details.group', async () => {
    const { core } = connect();
    const missing = await statusOf(core.readNamespacedConfigMap({ name: 'missing', namespace: 'default' }));
    assert.deepEqual(missing.status, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "missing" not found',
      reason: 'NotFound',
      details: { name: 'missing', kind: 'configmaps' },
      code: 404,
    });
  });

  test('server-side apply through PatchStrategy.ServerSideApply records the field manager', async () => {
    const { core } = connect();
    const namespace = await createNamespace('client-apply');
    const apply = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'applied', namespace }, data: { k: '1' } };
    const created = await core.patchNamespacedConfigMap({ name: 'applied', namespace, body, fieldManager: 'client-node-test' }, apply);
    assert.deepEqual(created.data, { k: '1' });
    const managers = created.metadata?.managedFields?.map((m) => [m.manager, m.operation]);
    assert.deepEqual(managers, [['client-node-test', 'Apply']]);
    const conflict = await statusOf(core.patchNamespacedConfigMap({ name: 'applied', namespace, body: { ...body, data: { k: '2' } }, fieldManager: 'someone-else' }, apply));
    assert.deepEqual([conflict.httpCode, conflict.status.reason], [409, 'Conflict']);
  });

  test('deleting a pod answers with the Pod, as Kubernetes does for pods', async () => {
    const { core } = connect();
    const namespace = await createNamespace('client-pods');
    await core.createNamespacedPod({ namespace, body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
    const deleted = await core.deleteNamespacedPod({ name: 'p', namespace });
    assert.deepEqual([deleted.kind, deleted.metadata?.name, deleted.spec?.containers[0].image], ['Pod', 'p', 'busybox']);
  });
});

interface WatchEvent {
  type: string;
  obj: V1ConfigMap;
}

/** Starts a Watch on a namespace's configmaps; `done` resolves with what the client's done callback got. */
async function watchConfigMaps(namespace: string, query: Record<string, string | number>) {
  const events = new Recorder<WatchEvent>();
  let finish: (err: unknown) => void = () => {};
  const done = new Promise<unknown>((resolve) => (finish = resolve));
  const controller = await new Watch(connect().kc).watch(`/api/v1/namespaces/${namespace}/configmaps`, query, (type, obj) => events.push({ type, obj }), finish);
  return { events, done, controller };
}

const eventsFor = (events: WatchEvent[], name: string) => events.filter((e) => nameOf(e.obj) === name);

describe('@kubernetes/client-node Watch', () => {
  test('sees ADDED, MODIFIED and DELETED, and resumes from a resourceVersion', { timeout: 60_000 }, async () => {
    const { core } = connect();
    const namespace = await createNamespace('client-watch');
    const start = (await core.listNamespacedConfigMap({ namespace })).metadata?.resourceVersion ?? '';
    const first = await watchConfigMaps(namespace, { resourceVersion: start });
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'w1' }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap({ name: 'w1', namespace, body: { data: { v: '2' } } }, mergePatch);
    await core.deleteNamespacedConfigMap({ name: 'w1', namespace });
    await first.events.until((items) => eventsFor(items, 'w1').some((e) => e.type === 'DELETED'));
    first.controller.abort();
    const seen = eventsFor(first.events.items, 'w1');
    assert.deepEqual(seen.map((e) => [e.type, e.obj.data?.v]), [['ADDED', '1'], ['MODIFIED', '2'], ['DELETED', '2']]);
    assert.equal(seen[0].obj.kind, 'ConfigMap');

    // Resuming from the ADDED event's version replays only what came after it.
    const resumed = await watchConfigMaps(namespace, { resourceVersion: seen[0].obj.metadata?.resourceVersion ?? '' });
    await resumed.events.until((items) => eventsFor(items, 'w1').some((e) => e.type === 'DELETED'));
    resumed.controller.abort();
    assert.deepEqual(eventsFor(resumed.events.items, 'w1').map((e) => [e.type, e.obj.metadata?.resourceVersion]), seen.slice(1).map((e) => [e.type, e.obj.metadata?.resourceVersion]));
  });

  test('a watch the server ends after timeoutSeconds calls done without an error', { timeout: 60_000 }, async () => {
    const { core } = connect();
    const namespace = await createNamespace('client-watch-timeout');
    const start = (await core.listNamespacedConfigMap({ namespace })).metadata?.resourceVersion ?? '';
    const quiet = await watchConfigMaps(namespace, { resourceVersion: start, timeoutSeconds: 1 });
    assert.equal(await quiet.done, null);
    assert.deepEqual(quiet.events.items, []);
  });
});

describe('@kubernetes/client-node informer', () => {
  test('lists, then sees add, update and delete, across watches the server ends', { timeout: 90_000 }, async () => {
    const { kc, core } = connect();
    const namespace = await createNamespace('client-informer');
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'existing' }, data: { v: '0' } } });
    let lists = 0;
    const listFn = () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace });
    };
    // The informer cannot ask for timeoutSeconds itself; a query on its path reaches each watch
    // request (and not the list), so the server ends every watch after a second.
    const informer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${namespace}/configmaps?timeoutSeconds=1`, listFn);
    const seen = new Recorder<[string, string | undefined, string | undefined]>();
    let connects = 0;
    const errors: unknown[] = [];
    for (const verb of ['add', 'update', 'delete'] as const) informer.on(verb, (cm) => seen.push([verb, nameOf(cm), cm.data?.v]));
    informer.on('connect', () => {
      connects++;
      seen.wake();
    });
    informer.on('error', (err) => errors.push(err));
    await informer.start();
    try {
      await seen.until((items) => items.some(([, name]) => name === 'existing'));
      // Every namespace also holds kube-root-ca.crt, as in Kubernetes.
      assert.deepEqual(informer.list(namespace).map(nameOf).filter((n) => n !== 'kube-root-ca.crt'), ['existing']);

      await seen.until(() => connects >= 3);
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'later' }, data: { v: '1' } } });
      await seen.until((items) => items.some(([verb, name]) => verb === 'add' && name === 'later'));
      const reconnected = connects;
      await seen.until(() => connects > reconnected);
      await core.patchNamespacedConfigMap({ name: 'later', namespace, body: { data: { v: '2' } } }, mergePatch);
      await core.deleteNamespacedConfigMap({ name: 'existing', namespace });
      await seen.until((items) => items.some(([verb, name]) => verb === 'delete' && name === 'existing') && items.some(([verb, , v]) => verb === 'update' && v === '2'));

      assert.deepEqual(seen.items.filter(([, name]) => name !== 'kube-root-ca.crt'), [
        ['add', 'existing', '0'],
        ['add', 'later', '1'],
        ['update', 'later', '2'],
        ['delete', 'existing', '0'],
      ]);
      assert.deepEqual(informer.list(namespace).filter((cm) => nameOf(cm) !== 'kube-root-ca.crt').map((cm) => [nameOf(cm), cm.data?.v]), [['later', '2']]);
      assert.equal(lists, 1, 'each ended watch resumes from the last resourceVersion instead of listing again');
      assert.deepEqual(errors, []);
    } finally {
      await informer.stop();
    }
  });
});

describe('python3-kubernetes (Debian)', () => {
  test('CRUD, errors and watch through the Python client', { timeout: 120_000 }, async () => {
    const namespace = 'python-client';
    let drove: Promise<void> | undefined;
    const lines = await runPython(cluster().kubeconfig, ['crud', namespace], (line) => {
      // The script watches from the resourceVersion it printed, so these writes may race its request.
      if (line.op === 'watching') {
        drove = changeConfigMapFromNode(namespace);
        drove.catch(() => {}); // awaited below, after the script's output ends
      }
    });
    await drove;
    const byOp = byOperation(lines);

    for (const ns of ['default', 'kube-system']) assert.ok(byOp.list_namespace.names.includes(ns));
    assert.deepEqual([byOp.create_namespace.name, byOp.create_namespace.phase], [namespace, 'Active']);
    assert.equal(byOp.read_config_map.uid, byOp.create_config_map.uid);
    assert.deepEqual([byOp.read_config_map.data, byOp.read_config_map.labels], [{ greeting: 'hello' }, { 'made-by': 'python' }]);
    assert.deepEqual(byOp.patch_config_map.data, { greeting: 'hello', added: 'by-patch' });
    assert.deepEqual([byOp.create_again.status, byOp.create_again.reason, byOp.create_again.message], [409, 'AlreadyExists', 'configmaps "from-python" already exists']);
    assert.deepEqual([byOp.read_missing.status, byOp.read_missing.reason, byOp.read_missing.details.name], [404, 'NotFound', 'missing']);
    assert.deepEqual(byOp.list_config_maps.names, ['from-python']);

    const events = lines.filter((l) => l.op === 'event' && l.name === 'from-node');
    assert.deepEqual(events.map((e) => [e.type, e.data?.v]), [['ADDED', '1'], ['MODIFIED', '2'], ['DELETED', '2']]);
    assert.ok(events.every((e) => BigInt(e.resourceVersion) > BigInt(byOp.watching.resourceVersion)));
    assert.deepEqual(byOp.watch_timed_out.events, []);
    assert.deepEqual([byOp.delete_config_map.kind, byOp.delete_config_map.status], ['Status', 'Success']);
    assert.equal(byOp.read_deleted.status, 404);
  });

  test('discovery calls (paths with a trailing slash)', async () => {
    const byOp = byOperation(await runPython(cluster().kubeconfig, ['discovery']));
    assert.match(byOp.version.result, /^v1\.\d+\.\d+/);
    assert.deepEqual(byOp.core_versions.result, ['v1']);
    assert.ok(byOp.groups.result.includes('apps'));
    assert.equal(byOp.apps_group.result, 'apps/v1');
    assert.ok(byOp.core_resources.result.includes('configmaps'));
    assert.ok(byOp.apps_resources.result.includes('deployments'));
  });
});

async function changeConfigMapFromNode(namespace: string): Promise<void> {
  const { core } = connect();
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'from-node' }, data: { v: '1' } } });
  await core.patchNamespacedConfigMap({ name: 'from-node', namespace, body: { data: { v: '2' } } }, mergePatch);
  await core.deleteNamespacedConfigMap({ name: 'from-node', namespace });
}
