/**
 * The everyday kubectl flows again with older clients, which speak to the server differently
 * from 1.33: 1.27–1.29 accept only aggregated discovery v2beta1 (1.30+ prefer v2), and 1.27
 * and 1.28 read /openapi/v2 in protobuf for explain (1.29+ read only v3). 1.27 and 1.30 run
 * every flow; 1.28, 1.29, 1.31 and 1.32 run the ones where the client's wire format differs.
 * Each version works in its own namespace and HOME, so it discovers the server itself instead
 * of reading another version's discovery cache.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { clusterPerFile, watchRows } from './lib/cluster.ts';

// No controllers: the expected outputs are those of objects nothing acts on (a Deployment stays at 0 up-to-date).
const { cluster, ok, fails } = clusterPerFile(['--disable-controller-manager', '--disable-scheduler']);

const DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const DISCOVERY_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** kubectl 1.<minor> in namespace v1-<minor> with a HOME of its own (a fresh one when asked). */
function versioned(minor: number) {
  const ns = `v1-${minor}`;
  let fresh = 0;
  const home = (isolated = false) => {
    const dir = path.join(cluster().dataDir, `home-1.${minor}${isolated ? `-${++fresh}` : ''}`);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  const opts = (input?: string, isolated = false) => ({ minor, input, env: { HOME: home(isolated) } });
  return {
    ns,
    home,
    ok: (args: string[], input?: string) => ok(['-n', ns, ...args], opts(input)),
    fails: (args: string[], input?: string) => fails(['-n', ns, ...args], opts(input)),
    /** Exit code and output whatever happens; `isolated` starts from an empty discovery cache. */
    run: (args: string[], { input, isolated }: { input?: string; isolated?: boolean } = {}) =>
      cluster().kubectl(['-n', ns, ...args], opts(input, isolated)),
  };
}

type Kubectl = ReturnType<typeof versioned>;

const deployment = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: busybox
`;

const configMap = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: "${value}"\n`;

/** The flows whose requests depend on the client version: discovery, explain, writes, errors. */
function wireFlows(minor: number): Kubectl {
  const k = versioned(minor);
  const aggregated = minor >= 30 ? DISCOVERY_V2 : DISCOVERY_V2BETA1;

  test('the namespace for this version', async () => {
    assert.match(await ok(['create', 'namespace', k.ns], { minor }), new RegExp(`namespace/${k.ns} created`));
  });

  test(`api-resources from aggregated discovery ${minor >= 30 ? 'v2' : 'v2beta1'}, no per-group-version lists`, async () => {
    const r = await k.run(['api-resources', '-v=8'], { isolated: true });
    assert.equal(r.code, 0, r.stderr);
    for (const line of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m, /^selfsubjectaccessreviews\s+authorization\.k8s\.io\/v1\s+false\s+SelfSubjectAccessReview$/m]) {
      assert.match(r.stdout, line);
    }
    assert.match(r.stderr, new RegExp(`Content-Type: ${escape(aggregated)}`));
    if (minor < 30) assert.doesNotMatch(r.stderr, /v=v2;as=/, 'kubectl 1.27–1.29 never ask for v2');
    // Legacy discovery would fetch /api/v1 and /apis/<g>/<v>; aggregated discovery needs neither.
    assert.doesNotMatch(r.stderr, /\/api\/v1\?timeout|\/apis\/apps\/v1\?timeout/);
  });

  test('configmap: create, get, get -o wide, label, annotate, delete', async () => {
    assert.match(await k.ok(['create', 'configmap', 'cm1', '--from-literal=a=b']), /configmap\/cm1 created/);
    assert.match(await k.ok(['get', 'cm', 'cm1']), /^NAME\s+DATA\s+AGE\ncm1\s+1\s+/);
    assert.match(await k.ok(['get', 'cm', 'cm1', '-o', 'wide']), /^NAME\s+DATA\s+AGE\ncm1\s+1\s+/);
    assert.match(await k.ok(['label', 'cm', 'cm1', 'tier=web']), /configmap\/cm1 labeled/);
    // kubectl 1.27 prints "annotate" here: its own wording, not the server's.
    assert.match(await k.ok(['annotate', 'cm', 'cm1', 'note=hi']), /configmap\/cm1 annotated?/);
    const obj = JSON.parse(await k.ok(['get', 'cm', 'cm1', '-o', 'json']));
    assert.deepEqual([obj.data.a, obj.metadata.labels.tier, obj.metadata.annotations.note], ['b', 'web', 'hi']);
    assert.match(await k.ok(['get', 'cm', '-l', 'tier=web', '-o', 'name']), /^configmap\/cm1$/m);
    assert.match(await k.ok(['delete', 'cm', 'cm1']), /configmap "cm1" deleted/);
  });

  test('deployment: create, scale, strategic/json/merge patch, get -o wide, describe, delete', async () => {
    assert.match(await k.ok(['create', 'deployment', 'web', '--image=busybox', '--replicas=2']), /deployment.apps\/web created/);
    assert.match(await k.ok(['scale', 'deployment', 'web', '--replicas=3']), /deployment.apps\/web scaled/);
    assert.match(await k.ok(['patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"busybox","image":"busybox:1.36"}]}}}}']), /deployment.apps\/web patched/);
    await k.ok(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":1}]']);
    await k.ok(['patch', 'deployment', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"m":"1"}}}']);
    const d = JSON.parse(await k.ok(['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.spec.template.spec.containers.length, 1, 'strategic merge patch merges containers by name');
    assert.equal(d.spec.template.spec.containers[0].image, 'busybox:1.36');
    assert.equal(d.spec.replicas, 1);
    assert.equal(d.metadata.labels.m, '1');
    assert.equal(d.metadata.generation, 4, 'scale, image and replicas changed the spec; the label did not');
    assert.match(await k.ok(['get', 'deploy', 'web', '-o', 'wide']), /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\nweb\s+0\/1\s+0\s+0\s+\S+\s+busybox\s+busybox:1\.36\s+app=web\n/);
    const described = await k.ok(['describe', 'deployment', 'web']);
    assert.match(described, /^Name:\s+web$/m);
    assert.match(described, new RegExp(`^Namespace:\\s+${k.ns}$`, 'm'));
    assert.match(described, /^Replicas:\s+1 desired \| 0 updated \| 0 total \| 0 available \| 0 unavailable$/m);
    assert.match(described, /^StrategyType:\s+RollingUpdate$/m);
    assert.match(described, /^\s+Image:\s+busybox:1\.36$/m);
    assert.match(await k.ok(['delete', 'deployment', 'web']), /deployment.apps "web" deleted/);
  });

  test('explain reads the OpenAPI document this version asks for', async () => {
    const r = await k.run(['explain', 'deployment.spec.replicas', '-v=8'], { isolated: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /KIND:\s+Deployment/);
    assert.match(r.stdout, /FIELD:\s+replicas <integer>/);
    assert.match(r.stdout, /Number of desired pods/);
    if (minor <= 28) {
      assert.match(r.stderr, /Accept: application\/com\.github\.proto-openapi\.spec\.v2@v1\.0\+protobuf/);
      assert.match(r.stderr, /Content-Type: application\/com\.github\.proto-openapi\.spec\.v2\.v1\.0\+protobuf/);
    } else {
      assert.doesNotMatch(r.stderr, /\/openapi\/v2/);
    }
    assert.match(r.stderr, /\/openapi\/v3\/apis\/apps\/v1\?hash=/);
  });

  test("explain shows Kubernetes' field descriptions and enums", async () => {
    const spec = await k.ok(['explain', 'deployment.spec']);
    assert.match(spec, /DESCRIPTION:\n\s+Specification of the desired behavior of the Deployment\.\n\s+DeploymentSpec is the specification/);
    const pullPolicy = await k.ok(['explain', 'pod.spec.containers.imagePullPolicy']);
    assert.match(pullPolicy, /Possible enum values:\n\s+- `"Always"` means/);
    // kubectl prints the schema's enum itself from 1.30 on.
    if (minor >= 30) assert.match(pullPolicy, /ENUM:\n\s+Always\n\s+IfNotPresent\n\s+Never\n/);
    if (minor <= 28) {
      // The Swagger 2.0 explain of these versions, from the protobuf document.
      const v2 = await k.ok(['explain', 'deployment.spec', '--output=plaintext-openapiv2']);
      assert.match(v2, /RESOURCE: spec <Object>\n\nDESCRIPTION:\n\s+Specification of the desired behavior of the Deployment\.\n\n\s+DeploymentSpec is/);
    }
  });

  test('errors: NotFound, AlreadyExists, Invalid, unknown field, Forbidden with --as', async () => {
    assert.match(await k.fails(['get', 'cm', 'nope']), /Error from server \(NotFound\): configmaps "nope" not found/);
    await k.ok(['create', 'configmap', 'twice']);
    assert.match(await k.fails(['create', 'configmap', 'twice']), /error: failed to create configmap: configmaps "twice" already exists/);
    assert.match(await k.fails(['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\n'), /Error from server \(AlreadyExists\): error when creating "STDIN": configmaps "twice" already exists/);
    assert.match(await k.fails(['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n'), /The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    assert.match(await k.fails(['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\nbogus: 1\n'), /Error from server \(BadRequest\): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"/);
    assert.match(await k.fails(['get', 'secrets', '--as=bob']), new RegExp(`Error from server \\(Forbidden\\): secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the namespace "${k.ns}"`));
  });

  return k;
}

/** The rest of the everyday flows, run with 1.27 and 1.30. */
function everydayFlows(minor: number, k: Kubectl): void {
  test('replace: Conflict on a stale resourceVersion, then replaced', async () => {
    await k.ok(['create', 'configmap', 'stale', '--from-literal=a=1']);
    const obj = JSON.parse(await k.ok(['get', 'cm', 'stale', '-o', 'json']));
    await k.ok(['label', 'cm', 'stale', 'x=1']);
    obj.data = { a: '2' };
    assert.match(await k.fails(['replace', '-f', '-'], JSON.stringify(obj)), /Error from server \(Conflict\): error when replacing "STDIN": Operation cannot be fulfilled on configmaps "stale": the object has been modified; please apply your changes to the latest version and try again/);
    delete obj.metadata.resourceVersion;
    assert.match(await k.ok(['replace', '-f', '-'], JSON.stringify(obj)), /configmap\/stale replaced/);
    const now = JSON.parse(await k.ok(['get', 'cm', 'stale', '-o', 'json']));
    assert.equal(now.data.a, '2');
    assert.equal(now.metadata.labels, undefined, 'replace drops the label the stale copy did not have');
  });

  test('apply client-side: created, configured, unchanged; a deployment keeps scaled replicas out of the patch', async () => {
    assert.match(await k.ok(['apply', '-f', '-'], configMap('applied', '1')), /configmap\/applied created/);
    assert.match(await k.ok(['apply', '-f', '-'], configMap('applied', '2')), /configmap\/applied configured/);
    assert.match(await k.ok(['apply', '-f', '-'], configMap('applied', '2')), /configmap\/applied unchanged/);
    assert.equal(await k.ok(['get', 'cm', 'applied', '-o', 'jsonpath={.data.k}']), '2');
    // A three-way strategic merge patch computed by the client from the OpenAPI document.
    await k.ok(['apply', '-f', '-'], deployment('csa', 2));
    await k.ok(['set', 'image', 'deployment/csa', 'main=busybox:1.36']);
    assert.match(await k.ok(['apply', '-f', '-'], deployment('csa', 4)), /deployment.apps\/csa configured/);
    const d = JSON.parse(await k.ok(['get', 'deploy', 'csa', '-o', 'json']));
    assert.equal(d.spec.replicas, 4);
    assert.equal(d.spec.template.spec.containers.length, 1);
    assert.equal(d.spec.template.spec.containers[0].image, 'busybox', 'the applied image wins over the one set in between');
  });

  test('apply --server-side owns fields and reports a conflict', async () => {
    assert.match(await k.ok(['apply', '--server-side', '-f', '-'], deployment('ssa', 2)), /deployment.apps\/ssa serverside-applied/);
    await k.ok(['scale', 'deploy', 'ssa', '--replicas=5']);
    // The manager of an Update is the client's binary name, here kubectl.1.NN, as in Kubernetes.
    assert.match(await k.fails(['apply', '--server-side', '-f', '-'], deployment('ssa', 3)), new RegExp(`Apply failed with 1 conflict: conflict with "kubectl\\.1\\.${minor}" with subresource "scale" using apps/v1: \\.spec\\.replicas`));
    assert.match(await k.ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], deployment('ssa', 3)), /serverside-applied/);
    assert.equal(await k.ok(['get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.replicas}']), '3');
  });

  test('kubectl scale is owned through the scale subresource', async () => {
    await k.ok(['apply', '--server-side', '-f', '-'], deployment('scaled', 1));
    await k.ok(['scale', 'deploy', 'scaled', '--replicas=2']);
    const d = JSON.parse(await k.ok(['get', 'deploy', 'scaled', '-o', 'json', '--show-managed-fields']));
    const scaler = d.metadata.managedFields.find((m: { manager: string }) => m.manager === `kubectl.1.${minor}`);
    assert.deepEqual([scaler?.operation, scaler?.apiVersion, scaler?.subresource, scaler?.fieldsV1], ['Update', 'apps/v1', 'scale', { 'f:spec': { 'f:replicas': {} } }]);
  });

  test('get -w prints the initial row and then the change', async () => {
    await k.ok(['create', 'configmap', 'watched']);
    const rows = await watchRows({ cluster: cluster(), minor, home: k.home(), args: ['-n', k.ns, 'get', 'cm', 'watched', '-w', '-o', 'custom-columns=NAME:.metadata.name,SEEN:.metadata.labels.seen'], rows: 2, change: () => k.ok(['label', 'cm', 'watched', 'seen=yes']) });
    assert.match(rows[0]!, /^watched\s+<none>$/);
    assert.match(rows[1]!, /^watched\s+yes$/);
  });

  test('--chunk-size pages a list with continue tokens', async () => {
    for (let i = 0; i < 3; i++) await k.ok(['create', 'configmap', `page-${i}`]);
    const r = await k.run(['get', 'cm', '--chunk-size=2', '-o', 'name', '-v=6']);
    assert.equal(r.code, 0, r.stderr);
    for (let i = 0; i < 3; i++) assert.match(r.stdout, new RegExp(`^configmap/page-${i}$`, 'm'));
    assert.match(r.stderr, /configmaps\?[^ "]*continue=[^ "&]+[^ "]*limit=2/);
  });

  test('--dry-run=server stores nothing', async () => {
    assert.match(await k.ok(['create', 'configmap', 'dry', '--dry-run=server']), /configmap\/dry created \(server dry run\)/);
    assert.match(await k.ok(['apply', '--server-side', '--dry-run=server', '-f', '-'], configMap('dry', '1')), /configmap\/dry serverside-applied \(server dry run\)/);
    assert.match(await k.fails(['get', 'cm', 'dry']), /NotFound/);
  });

  test('auth can-i and create token', async () => {
    assert.equal((await k.ok(['auth', 'can-i', 'create', 'deployments'])).trim(), 'yes');
    assert.equal((await k.run(['auth', 'can-i', 'get', 'secrets', '--as=bob'])).stdout.trim(), 'no');
    assert.equal((await k.ok(['auth', 'can-i', 'get', 'secrets', '--as=bob', '--as-group=system:masters'])).trim(), 'yes');
    await k.ok(['create', 'serviceaccount', 'reader']);
    const token = (await k.ok(['create', 'token', 'reader'])).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.sub, `system:serviceaccount:${k.ns}:reader`);
  });

  test('explain --recursive lists nested fields', async () => {
    const out = await k.ok(['explain', 'deployment.spec.template.spec.containers', '--recursive']);
    assert.match(out, /^\s+containerPort\s+<integer> -required-$/m);
    assert.match(out, /^\s+image\s+<string>$/m);
  });
}

for (const minor of [27, 28, 29, 30, 31, 32]) {
  describe(`kubectl 1.${minor}`, () => {
    const k = wireFlows(minor);
    if (minor === 27 || minor === 30) everydayFlows(minor, k);
  });
}

describe('discovery without an aggregated Accept', () => {
  test('kubectl get --raw gets the legacy lists', async () => {
    const api = JSON.parse(await ok(['get', '--raw', '/api'], { minor: 27 }));
    assert.equal(api.kind, 'APIVersions');
    assert.deepEqual(api.versions, ['v1']);
    const apis = JSON.parse(await ok(['get', '--raw', '/apis'], { minor: 30 }));
    assert.equal(apis.kind, 'APIGroupList');
    assert.ok(apis.groups.some((g: { name: string }) => g.name === 'apps'));
    const core = JSON.parse(await ok(['get', '--raw', '/api/v1'], { minor: 30 }));
    assert.equal(core.kind, 'APIResourceList');
    assert.ok(core.resources.some((r: { name: string }) => r.name === 'pods/status'));
  });
});

test('kubectl 1.27 auth whoami finds no SelfSubjectReview it knows (v1beta1 is off, as in Kubernetes 1.33)', async () => {
  const r = await cluster().kubectl(['auth', 'whoami'], { minor: 27 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /the selfsubjectreviews API is not enabled in the cluster/);
  assert.match(await ok(['auth', 'whoami'], { minor: 28 }), /Username\s+system:admin/);
});
