/**
 * Who may do what, seen from kubectl 1.33: the admin certificate, service-account tokens from
 * `kubectl create token` refused and then allowed by RBAC, impersonation, and the review APIs
 * behind `kubectl auth can-i` and `auth whoami`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { clusterPerFile } from './lib/cluster.ts';

const { cluster, ok } = clusterPerFile();

/** A kubeconfig holding only a bearer token (and the cluster's CA). */
function tokenKubeconfig(token: string): string {
  const admin = fs.readFileSync(cluster().kubeconfig, 'utf8');
  const ca = /certificate-authority-data: (\S+)/.exec(admin)![1];
  const file = path.join(cluster().dataDir, `token-${Math.random().toString(36).slice(2)}.kubeconfig`);
  fs.writeFileSync(file, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${cluster().url}", certificate-authority-data: ${ca}}}]
users: [{name: u, user: {token: "${token}"}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]
current-context: c
`);
  return file;
}

test('the admin may do anything', async () => {
  assert.equal((await ok(['auth', 'can-i', 'delete', 'nodes'])).trim(), 'yes');
  assert.match(await ok(['auth', 'whoami']), /system:admin/);
});

test('a service-account token is refused until RBAC allows it', async () => {
  await ok(['create', 'serviceaccount', 'reader']);
  const token = (await ok(['create', 'token', 'reader'])).trim();
  assert.match(token, /^eyJ/);
  const kubeconfig = tokenKubeconfig(token);
  const denied = await cluster().kubectl(['get', 'pods'], { kubeconfig });
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Error from server \(Forbidden\): pods is forbidden: User "system:serviceaccount:default:reader" cannot list resource "pods" in API group "" in the namespace "default"/);
  assert.equal((await cluster().kubectl(['auth', 'can-i', 'list', 'pods'], { kubeconfig })).stdout.trim(), 'no');

  await ok(['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods']);
  await ok(['create', 'rolebinding', 'reader-reads', '--role=pod-reader', '--serviceaccount=default:reader']);
  const allowed = await cluster().kubectl(['get', 'pods'], { kubeconfig });
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.equal((await ok(['auth', 'can-i', 'list', 'pods'], { kubeconfig })).trim(), 'yes');
  assert.equal((await cluster().kubectl(['auth', 'can-i', 'delete', 'pods'], { kubeconfig })).stdout.trim(), 'no');
  assert.match(await ok(['auth', 'whoami'], { kubeconfig }), /system:serviceaccount:default:reader/);
});

test('a bad token is Unauthorized', async () => {
  const r = await cluster().kubectl(['get', 'pods'], { kubeconfig: tokenKubeconfig('not-a-token') });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /You must be logged in to the server \(Unauthorized\)/);
});

test('impersonation with --as and --as-group', async () => {
  const r = await cluster().kubectl(['get', 'secrets', '--as=bob']);
  assert.match(r.stderr, /secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the namespace "default"/);
  assert.equal((await ok(['auth', 'can-i', 'get', 'secrets', '--as=bob', '--as-group=system:masters'])).trim(), 'yes');
  await ok(['create', 'clusterrolebinding', 'bob-view', '--clusterrole=view', '--user=bob']);
  assert.equal((await ok(['auth', 'can-i', 'list', 'deployments', '--as=bob'])).trim(), 'yes');
  // view aggregates no secrets
  assert.equal((await cluster().kubectl(['auth', 'can-i', 'list', 'secrets', '--as=bob'])).stdout.trim(), 'no');
});

test('auth can-i --list shows the rules', async () => {
  const out = await ok(['auth', 'can-i', '--list', '--as=bob']);
  assert.match(out, /Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
  assert.match(out, /deployments\.apps\s+\[\]\s+\[\]\s+\[get list watch\]/);
});

test('RBAC refuses to grant what the granter does not hold', async () => {
  await ok(['create', 'serviceaccount', 'role-maker']);
  await ok(['create', 'role', 'make-roles', '--verb=create,get', '--resource=roles.rbac.authorization.k8s.io']);
  await ok(['create', 'rolebinding', 'role-maker-makes', '--role=make-roles', '--serviceaccount=default:role-maker']);
  const kubeconfig = tokenKubeconfig((await ok(['create', 'token', 'role-maker'])).trim());
  const r = await cluster().kubectl(['create', 'role', 'secret-reader', '--verb=get', '--resource=secrets'], { kubeconfig });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /roles.rbac.authorization.k8s.io "secret-reader" is forbidden: user "system:serviceaccount:default:role-maker" \(groups=\[.*\]\) is attempting to grant RBAC permissions not currently held/);
  // Granting what it holds is fine.
  assert.match(await ok(['create', 'role', 'role-getter', '--verb=get', '--resource=roles.rbac.authorization.k8s.io'], { kubeconfig }), /role.rbac.authorization.k8s.io\/role-getter created/);
});

test('eviction deletes a pod unless a disruption budget forbids it', async () => {
  const pod = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n  labels: {app: ${name}}\nspec:\n  containers:\n  - name: c\n    image: busybox\n`;
  const eviction = (name: string) => JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } });
  await ok(['apply', '-f', '-'], { input: pod('free') });
  await ok(['create', '--raw', '/api/v1/namespaces/default/pods/free/eviction', '-f', '-'], { input: eviction('free') });
  assert.match((await cluster().kubectl(['get', 'pod', 'free'])).stderr, /pods "free" not found/);

  await ok(['apply', '-f', '-'], { input: pod('guarded') });
  // A pending pod may always be evicted; a running one is what a budget protects.
  await ok(['patch', 'pod', 'guarded', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running"}}']);
  await ok(['create', 'poddisruptionbudget', 'guard', '--selector=app=guarded', '--min-available=1']);
  const r = await cluster().kubectl(['create', '--raw', '/api/v1/namespaces/default/pods/guarded/eviction', '-f', '-'], { input: eviction('guarded') });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /TooManyRequests|Too Many Requests|disruption budget/);
  await ok(['get', 'pod', 'guarded']);
});

test('a bootstrap token authenticates as system:bootstrap:<id>', async () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    stringData: { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:tsk' },
  };
  await ok(['apply', '-f', '-'], { input: JSON.stringify(secret) });
  const out = await ok(['auth', 'whoami', '-o', 'json'], { kubeconfig: tokenKubeconfig('abcdef.0123456789abcdef') });
  const who = JSON.parse(out).status.userInfo;
  assert.equal(who.username, 'system:bootstrap:abcdef');
  assert.ok(who.groups.includes('system:bootstrappers') && who.groups.includes('system:bootstrappers:tsk'), who.groups.join(','));
  const wrong = await cluster().kubectl(['get', 'pods'], { kubeconfig: tokenKubeconfig('abcdef.0000000000000000') });
  assert.match(wrong.stderr, /Unauthorized/);
});
