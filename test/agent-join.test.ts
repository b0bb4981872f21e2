/**
 * `tsk agent join` and `tsk agent` against a real server, checked with real kubectl using the
 * kubeconfig the agent stored: the node's identity, what the node authorizer and
 * NodeRestriction let it do, the node password, and the refusals a user sees.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_BRIDGE_NAME } from '../pkg/network/cni.ts';
import { cleanUpHost } from './lib/agent.ts';
import { clusterPerFile } from './lib/cluster.ts';
import { startTsk, type TskProcess } from './lib/tsk.ts';
import { until } from './lib/until.ts';

const { cluster, ok } = clusterPerFile();
const dirs: string[] = [];
after(() => {
  // Agents here run pods' sandboxes on the host's pod bridge and mount their volumes.
  for (const d of dirs) cleanUpHost(d);
  spawnSync('ip', ['link', 'del', DEFAULT_BRIDGE_NAME]);
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-agent-'));
  dirs.push(dir);
  return dir;
}

const token = () => fs.readFileSync(path.join(cluster().dataDir, 'server', 'node-token'), 'utf8').trim();

function join(dataDir: string, nodeName: string, opts: { token?: string; server?: string; extra?: string[] } = {}): TskProcess {
  return startTsk([
    'agent', 'join', '--server', opts.server ?? cluster().url, '--token', opts.token ?? token(),
    '--data-dir', dataDir, '--node-name', nodeName, '--node-ip', '127.0.0.1', ...(opts.extra ?? []),
  ]);
}

/** Exit code and stderr of a command that must end on its own. */
async function finished(p: TskProcess): Promise<{ code: number | string; stderr: string }> {
  return { code: await p.exited, stderr: p.stderr() };
}

describe('tsk agent join', () => {
  const dataDir = tempDir();
  const agentDir = path.join(dataDir, 'agent');
  const kubeconfig = path.join(agentDir, 'kubelet.kubeconfig');
  const asNode = (args: string[], input?: string) => cluster().kubectl(args, { kubeconfig, input });
  let agent: TskProcess;

  test('joins, stores its credentials 0600 and runs until SIGTERM', async () => {
    agent = join(dataDir, 'edge-1', { extra: ['--node-label', 'disk=ssd', '--node-taint', 'dedicated=edge:NoSchedule'] });
    await agent.waitForLog(/agent for node edge-1 running/);
    const files = ['server-ca.crt', 'client-kubelet.crt', 'client-kubelet.key', 'serving-kubelet.crt', 'serving-kubelet.key', 'kubelet.kubeconfig', 'node-config.json', 'node-password', 'token'];
    for (const f of files) assert.equal(fs.statSync(path.join(agentDir, f)).mode & 0o777, 0o600, f);
    const config = JSON.parse(fs.readFileSync(path.join(agentDir, 'node-config.json'), 'utf8'));
    assert.deepEqual(
      { server: config.server, nodeName: config.nodeName, nodeIp: config.nodeIp, nodeLabels: config.nodeLabels, nodeTaints: config.nodeTaints },
      { server: cluster().url, nodeName: 'edge-1', nodeIp: '127.0.0.1', nodeLabels: ['disk=ssd'], nodeTaints: ['dedicated=edge:NoSchedule'] },
    );
    assert.equal(fs.readFileSync(path.join(agentDir, 'server-ca.crt'), 'utf8'), fs.readFileSync(path.join(cluster().dataDir, 'server', 'tls', 'server-ca.crt'), 'utf8'));
    agent.signal('SIGTERM');
    assert.equal(await agent.exited, 0);
  });

  test('its kubeconfig is system:node:NAME in system:nodes', async () => {
    const r = await asNode(['auth', 'whoami', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout).status.userInfo;
    assert.equal(status.username, 'system:node:edge-1');
    assert.ok(status.groups.includes('system:nodes'));
  });

  test('the node manages its own Node, and no other (NodeRestriction)', async () => {
    const node = (name: string) => `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${name}\n  labels:\n    kubernetes.io/hostname: ${name}\n`;
    // Its kubelet registered it, with the join's labels.
    assert.equal((await asNode(['get', 'node', 'edge-1', '-o', 'jsonpath={.metadata.labels.disk}'])).stdout.trim(), 'ssd');
    assert.equal((await asNode(['label', 'node', 'edge-1', 'disk=ssd'])).code, 0);
    const other = await asNode(['create', '-f', '-'], node('edge-9'));
    assert.match(other.stderr, /nodes "edge-9" is forbidden: node "edge-1" is not allowed to modify node "edge-9"/);
    await ok(['create', '-f', '-'], node('edge-2'));
    assert.match((await asNode(['label', 'node', 'edge-2', 'x=y'])).stderr, /Forbidden.*node "edge-1" is not allowed to modify node "edge-2"/);
    assert.match((await asNode(['delete', 'node', 'edge-2'])).stderr, /Forbidden/);
    assert.match((await asNode(['label', 'node', 'edge-1', 'node-role.kubernetes.io/worker=true'])).stderr, /not allowed to modify labels: node-role.kubernetes.io\/worker/);
  });

  test('a secret is readable only once a pod bound to the node uses it', async () => {
    await ok(['create', 'secret', 'generic', 'edge-creds', '--from-literal=k=v']);
    assert.match((await asNode(['get', 'secret', 'edge-creds'])).stderr, /Forbidden.*no relationship found between node 'edge-1' and this object/);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'uses-creds', namespace: 'default' },
      spec: { nodeName: 'edge-1', containers: [{ name: 'c', image: 'busybox', envFrom: [{ secretRef: { name: 'edge-creds' } }] }] },
    };
    await ok(['create', '-f', '-'], JSON.stringify(pod));
    await until('the node may read the secret', async () => ((await asNode(['get', 'secret', 'edge-creds', '-o', 'name'])).code === 0 ? true : undefined));
    await ok(['create', 'secret', 'generic', 'unused', '--from-literal=k=v']);
    assert.match((await asNode(['get', 'secret', 'unused'])).stderr, /Forbidden/);
    assert.match((await asNode(['get', 'secrets'])).stderr, /Forbidden/, 'no listing of all secrets');
  });

  test('a second machine with the same node name (another password) is refused', async () => {
    const r = await finished(join(tempDir(), 'edge-1'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tsk: the server refused: node "edge-1" is already registered with another node password/);
  });

  test('tsk agent runs again from what join stored', async () => {
    agent = startTsk(['agent', '--data-dir', dataDir]);
    await agent.waitForLog(/agent for node edge-1 running/);
    agent.signal('SIGTERM');
    assert.equal(await agent.exited, 0);
  });

  test('deleting the Node frees its name for another machine', async () => {
    await ok(['delete', 'node', 'edge-1']);
    const other = join(tempDir(), 'edge-1');
    await other.waitForLog(/agent for node edge-1 running/);
    await other.kill();
  });
});

describe('tsk agent join refusals', () => {
  test('a wrong secret ends at once with a message naming --token', async () => {
    const wrong = token().replace(/::server:.*$/, '::server:not-the-secret');
    const r = await finished(join(tempDir(), 'edge-3', { token: wrong }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tsk: --token: the server refused the join token \(HTTP 401\)$/m);
  });

  test('a token whose CA hash is another server\'s ends at once with a message about the CA', async () => {
    const foreign = token().replace(/^K10[0-9a-f]{64}/, `K10${'0'.repeat(64)}`);
    const r = await finished(join(tempDir(), 'edge-3', { token: foreign }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tsk: --token: .*the server's CA does not match the token's hash/m);
  });

  test('a token without a CA hash trusts the first CA, and says so', async () => {
    const short = token().replace(/^K10[0-9a-f]{64}/, 'K10');
    const p = join(tempDir(), 'edge-4', { token: short });
    await p.waitForLog(/agent for node edge-4 running/);
    assert.match(p.stderr(), /the token carries no CA hash: trusting the server's CA as first seen/);
    await p.kill();
  });

  test('an unreachable server is retried with back-off, each retry logged', async () => {
    const p = join(tempDir(), 'edge-5', { server: 'https://127.0.0.1:1' });
    await p.waitForLog(/cannot reach the server at https:\/\/127\.0\.0\.1:1 \(--server\).*retrying in 1 s/);
    await p.waitForLog(/retrying in 2 s/);
    p.signal('SIGTERM');
    assert.equal(await p.exited, 0);
  });

  test('tsk agent with nothing stored says to join first', async () => {
    const empty = tempDir();
    const r = await finished(startTsk(['agent', '--data-dir', empty]));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tsk: no node credentials in .*: run tsk agent join first/m);
    assert.deepEqual(fs.readdirSync(empty), [], 'nothing is created in an empty data dir');
  });
});
