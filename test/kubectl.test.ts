/**
 * What a kubectl user does every day, against the real dist/tsk with the real kubectl 1.33:
 * if one of these fails, a person would notice tsk is not Kubernetes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clusterPerFile, watchRows } from './lib/cluster.ts';
import { until } from './lib/until.ts';

const { cluster, ok, fails } = clusterPerFile();

describe('discovery', () => {
  test('api-resources lists the built-in kinds with short names', async () => {
    const out = await ok(['api-resources']);
    for (const line of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m, /^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m]) {
      assert.match(out, line);
    }
  });

  test('version shows the server', async () => {
    const out = await ok(['version', '-o', 'json']);
    const v = JSON.parse(out);
    assert.equal(v.serverVersion.major, '1');
    assert.match(v.serverVersion.gitVersion, /^v1\.\d+\.\d+/);
  });

  test('the system namespaces exist', async () => {
    const out = await ok(['get', 'namespaces', '-o', 'name']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(out, new RegExp(`^namespace/${ns}$`, 'm'));
  });
});

describe('everyday objects', () => {
  test('create, get, label, annotate, delete a configmap (protobuf body from kubectl 1.33)', async () => {
    assert.match(await ok(['create', 'configmap', 'cm1', '--from-literal=a=b']), /configmap\/cm1 created/);
    assert.match(await ok(['get', 'cm', 'cm1']), /^NAME\s+DATA\s+AGE\ncm1\s+1\s+/);
    assert.equal(await ok(['get', 'cm', 'cm1', '-o', 'jsonpath={.data.a}']), 'b');
    assert.match(await ok(['label', 'cm', 'cm1', 'tier=web']), /configmap\/cm1 labeled/);
    assert.match(await ok(['annotate', 'cm', 'cm1', 'note=hi']), /configmap\/cm1 annotated/);
    const obj = JSON.parse(await ok(['get', 'cm', 'cm1', '-o', 'json']));
    assert.equal(obj.metadata.labels.tier, 'web');
    assert.equal(obj.metadata.annotations.note, 'hi');
    assert.match(await ok(['get', 'cm', '-l', 'tier=web', '-o', 'name']), /configmap\/cm1/);
    await ok(['label', 'cm', 'cm1', 'tier-']);
    assert.equal(JSON.parse(await ok(['get', 'cm', 'cm1', '-o', 'json'])).metadata.labels, undefined, 'no empty labels map is left behind');
    assert.match(await ok(['delete', 'cm', 'cm1']), /configmap "cm1" deleted/);
    assert.match(await fails(['get', 'cm', 'cm1']), /Error from server \(NotFound\): configmaps "cm1" not found/);
  });

  test('a deployment: create, scale, patch, get -o wide', async () => {
    assert.match(await ok(['create', 'deployment', 'web', '--image=busybox', '--replicas=2']), /deployment.apps\/web created/);
    assert.match(await ok(['scale', 'deployment', 'web', '--replicas=3']), /deployment.apps\/web scaled/);
    assert.equal(await ok(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']), '3');
    await ok(['patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"busybox","image":"busybox:1.36"}]}}}}']);
    const d = JSON.parse(await ok(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.spec.template.spec.containers.length, 1, 'strategic merge patch merges containers by name');
    assert.equal(d.spec.template.spec.containers[0].image, 'busybox:1.36');
    assert.equal(d.metadata.generation, 3);
    assert.match(await ok(['get', 'deploy', 'web', '-o', 'wide']), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
    await ok(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":1}]']);
    await ok(['patch', 'deployment', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"m":"1"}}}']);
    const after = JSON.parse(await ok(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(after.spec.replicas, 1);
    assert.equal(after.metadata.labels.m, '1');
    await ok(['delete', 'deployment', 'web']);
  });

  test('apply, then apply again with a change, client-side', async () => {
    const manifest = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: "${value}"\n`;
    assert.match(await ok(['apply', '-f', '-'], manifest('1')), /configmap\/applied created/);
    assert.match(await ok(['apply', '-f', '-'], manifest('2')), /configmap\/applied configured/);
    assert.match(await ok(['apply', '-f', '-'], manifest('2')), /configmap\/applied unchanged/);
    assert.equal(await ok(['get', 'cm', 'applied', '-o', 'jsonpath={.data.k}']), '2');
  });

  test('get all uses the "all" category; short names work', async () => {
    await ok(['create', 'deployment', 'cat', '--image=busybox']);
    await ok(['create', 'service', 'clusterip', 'cat', '--tcp=80:8080']);
    const out = await ok(['get', 'all']);
    assert.match(out, /deployment\.apps\/cat/);
    assert.match(out, /service\/cat\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP/);
    assert.match(out, /service\/kubernetes\s+ClusterIP\s+10\.43\.0\.1\s+<none>\s+443\/TCP/);
    assert.match(await ok(['get', 'deploy,svc', '-o', 'name']), /deployment.apps\/cat[\s\S]*service\/cat/);
    const ep = await cluster().kubectl(['get', 'endpoints', 'kubernetes']);
    assert.match(ep.stderr, /Warning: v1 Endpoints is deprecated in v1.33\+; use discovery.k8s.io\/v1 EndpointSlice/);
  });

  test('--dry-run=server stores nothing', async () => {
    assert.match(await ok(['create', 'configmap', 'dry', '--from-literal=a=b', '--dry-run=server']), /configmap\/dry created \(server dry run\)/);
    await fails(['get', 'cm', 'dry']);
  });

  test('--chunk-size pages a list', async () => {
    for (let i = 0; i < 5; i++) await ok(['create', 'configmap', `page-${i}`]);
    const out = await ok(['get', 'cm', '--chunk-size=2', '-o', 'name']);
    for (let i = 0; i < 5; i++) assert.match(out, new RegExp(`configmap/page-${i}`));
  });
});

describe('errors a user sees', () => {
  test('AlreadyExists', async () => {
    await ok(['create', 'configmap', 'twice']);
    // kubectl words it differently for `create configmap` and `create -f`, as against Kubernetes.
    assert.match(await fails(['create', 'configmap', 'twice']), /error: failed to create configmap: configmaps "twice" already exists/);
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n';
    assert.match(await fails(['create', '-f', '-'], manifest), /Error from server \(AlreadyExists\): error when creating "STDIN": configmaps "twice" already exists/);
  });

  test('Invalid with the field path', async () => {
    const bad = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n';
    assert.match(await fails(['create', '-f', '-'], bad), /The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"/);
  });

  test('Conflict on a stale resourceVersion', async () => {
    await ok(['create', 'configmap', 'stale']);
    const obj = JSON.parse(await ok(['get', 'cm', 'stale', '-o', 'json']));
    await ok(['label', 'cm', 'stale', 'x=1']);
    obj.data = { changed: 'yes' };
    assert.match(await fails(['replace', '-f', '-'], JSON.stringify(obj)), /Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again/);
  });

  test('a value of the wrong type is refused, on create and in a patch', async () => {
    const bad = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: typed\nspec:\n  replicas: "two"\n  selector: {matchLabels: {app: typed}}\n  template:\n    metadata: {labels: {app: typed}}\n    spec: {containers: [{name: c, image: busybox}]}\n';
    assert.match(await fails(['create', '-f', '-'], bad), /Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32/);
    await ok(['create', 'deployment', 'typed', '--image=busybox']);
    assert.match(await fails(['patch', 'deployment', 'typed', '--type=merge', '-p', '{"spec":{"replicas":"x"}}']), /The request is invalid: patch: Invalid value: .*json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32/);
    assert.equal(await ok(['get', 'deploy', 'typed', '-o', 'jsonpath={.spec.replicas}']), '1');
  });

  test('unknown fields are refused under strict validation', async () => {
    const bad = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\nbogus: 1\n';
    assert.match(await fails(['create', '-f', '-'], bad), /unknown field "bogus"/);
  });
});

describe('watching, explaining, server-side apply', () => {
  test('get -w shows a change as it happens', async () => {
    await ok(['create', 'configmap', 'watched']);
    const rows = await watchRows({ cluster: cluster(), args: ['get', 'cm', 'watched', '-w', '-o', 'custom-columns=NAME:.metadata.name,SEEN:.metadata.labels.seen'], rows: 2, change: () => ok(['label', 'cm', 'watched', 'seen=yes']) });
    assert.match(rows[0]!, /^watched\s+<none>$/);
    assert.match(rows[1]!, /^watched\s+yes$/);
  });

  test('explain describes fields from the OpenAPI document', async () => {
    const out = await ok(['explain', 'deployment.spec.replicas']);
    assert.match(out, /GROUP:\s+apps/);
    assert.match(out, /FIELD:\s+replicas <integer>/);
  });

  test('apply --server-side owns fields and reports conflicts', async () => {
    const manifest = (replicas: number) => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels: {app: ssa}\n  template:\n    metadata:\n      labels: {app: ssa}\n    spec:\n      containers:\n      - name: main\n        image: busybox\n`;
    assert.match(await ok(['apply', '--server-side', '-f', '-'], manifest(2)), /deployment.apps\/ssa serverside-applied/);
    const d = JSON.parse(await ok(['get', 'deploy', 'ssa', '-o', 'json', '--show-managed-fields']));
    assert.ok(d.metadata.managedFields.some((m: { manager: string; operation: string }) => m.manager === 'kubectl' && m.operation === 'Apply'));
    await ok(['scale', 'deploy', 'ssa', '--replicas=5']);
    const conflict = await cluster().kubectl(['apply', '--server-side', '-f', '-'], { input: manifest(3) });
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps\/v1: \.spec\.replicas/);
    assert.match(await ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest(3)), /serverside-applied/);
    assert.equal(await ok(['get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.replicas}']), '3');
  });

  test('describe and edit', async () => {
    await ok(['create', 'configmap', 'edited', '--from-literal=colour=red']);
    assert.match(await ok(['describe', 'configmap', 'edited']), /Name:\s+edited[\s\S]*colour:[\s\S]*red/);
    const r = await cluster().kubectl(['edit', 'configmap', 'edited'], { env: { KUBE_EDITOR: 'sed -i s/red/blue/' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await ok(['get', 'cm', 'edited', '-o', 'jsonpath={.data.colour}']), 'blue');
  });

  test('a claim or ingress without a class gets the default one', async () => {
    // The default class is the packaged local-path one (DATA_DIR/server/manifests/local-storage.yaml).
    await until('the packaged local-path StorageClass', async () => ((await cluster().kubectl(['get', 'storageclass', 'local-path'])).code === 0 ? true : undefined));
    await ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n');
    assert.equal(await ok(['get', 'pvc', 'data', '-o', 'jsonpath={.spec.storageClassName}']), 'local-path');
    await ok(['apply', '-f', '-'], 'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: traefik\n  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}\nspec:\n  controller: traefik.io/ingress-controller\n');
    await ok(['create', 'ingress', 'web', '--rule=example.test/=web:80']);
    assert.equal(await ok(['get', 'ingress', 'web', '-o', 'jsonpath={.spec.ingressClassName}']), 'traefik');
  });

  test('a new pod gets the default tolerations and its service-account token volume', async () => {
    await ok(['run', 'admitted', '--image=busybox', '--restart=Never']);
    const pod = JSON.parse(await ok(['get', 'pod', 'admitted', '-o', 'json']));
    assert.deepEqual(pod.spec.tolerations.map((t: { key: string; tolerationSeconds: number }) => [t.key, t.tolerationSeconds]), [['node.kubernetes.io/not-ready', 300], ['node.kubernetes.io/unreachable', 300]]);
    const volume = pod.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
    assert.ok(volume, 'a kube-api-access volume');
    assert.deepEqual(volume.projected.sources.map((s: object) => Object.keys(s)[0]), ['serviceAccountToken', 'configMap', 'downwardAPI']);
    assert.deepEqual(pod.spec.containers[0].volumeMounts, [{ name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
    await ok(['run', 'no-token', '--image=busybox', '--restart=Never', '--overrides={"spec":{"automountServiceAccountToken":false}}']);
    assert.equal(JSON.parse(await ok(['get', 'pod', 'no-token', '-o', 'json'])).spec.volumes, undefined);
  });

  test('the system namespaces may not be deleted', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public']) {
      assert.match(await fails(['delete', 'namespace', ns]), new RegExp(`namespaces "${ns}" is forbidden: this namespace may not be deleted`));
    }
  });

  test('namespaces are deleted with their content', async () => {
    await ok(['create', 'namespace', 'doomed']);
    await ok(['create', 'configmap', 'inside', '-n', 'doomed']);
    assert.match(await ok(['delete', 'namespace', 'doomed', '--timeout=30s']), /namespace "doomed" deleted/);
    await fails(['get', 'namespace', 'doomed']);
  });
});

describe('pod subresources a kubelet serves', () => {
  test('logs and exec say what Kubernetes says before a kubelet is involved', async () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: unscheduled\nspec:\n  containers:\n  - {name: a, image: busybox}\n  - {name: b, image: busybox}\n';
    await ok(['apply', '-f', '-'], pod);
    assert.match(await fails(['logs', 'unscheduled', '-c', 'a']), /pod unscheduled does not have a host assigned/);
    assert.match(await fails(['logs', 'unscheduled', '-c', 'nope']), /container nope is not valid for pod unscheduled/);
    assert.match(await fails(['exec', 'unscheduled', '-c', 'a', '--', 'true']), /does not have a host assigned/);
  });

  test('service proxy needs endpoints', async () => {
    await ok(['create', 'service', 'clusterip', 'proxied', '--tcp=80:8080']);
    assert.match(await fails(['get', '--raw', '/api/v1/namespaces/default/services/http:proxied:80/proxy/']), /no endpoints available for service "proxied"/);
    assert.match(await fails(['get', '--raw', '/api/v1/namespaces/default/services/missing/proxy/']), /services "missing" not found/);
  });
});
