/**
 * High availability: a three-member etcd on loopback and two tsk servers, the second joined
 * with --server/--token (one CA, each its own serving certificate). Each accepts the other's
 * credentials; the kubernetes endpoints list both; killing the leading server with SIGKILL
 * leaves the other serving with its controllers and scheduler taking over, and a `tsk
 * simulate` fleet that was connected to the dead server moves to the live one; killing an
 * etcd member leaves writes working.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startEtcdCluster, type EtcdCluster } from './lib/etcd.ts';
import { freePort, startCluster, type TestCluster } from './lib/cluster.ts';
import { createTestNetns, type TestNetns } from './lib/netns.ts';
import { joinToken, startSimulate, type SimulateProcess } from './lib/simulate.ts';
import { runTsk } from './lib/tsk.ts';
import { until } from './lib/until.ts';

let netns: TestNetns;
let etcd: EtcdCluster;
let endpoint: string;
let first: TestCluster;
let second: TestCluster;
let sim: SimulateProcess | undefined;
/** The server left after the failover test killed the leader. */
let survivorOfFailover: TestCluster | undefined;
const scratch: string[] = [];

before(async () => {
  // Endpoints refuse loopback addresses, and they are where agents learn the servers: the
  // servers listen on the host end of a veth this test creates (nothing leaves the machine).
  netns = createTestNetns();
  const on = ['--bind-address', netns.hostIp, '--advertise-address', netns.hostIp];
  etcd = await startEtcdCluster(3);
  endpoint = `etcd://${etcd.endpoints.join(',')}`;
  first = onHost(await startCluster(['--datastore-endpoint', endpoint, ...on]));
  second = onHost(await startCluster(['--datastore-endpoint', endpoint, ...on, '--server', first.url, '--token', joinToken(first)]));
});

/** The cluster with the URL it listens at. */
function onHost(c: TestCluster): TestCluster {
  return { ...c, url: `https://${netns.hostIp}:${c.port}` };
}
after(async () => {
  await sim?.kill();
  await first?.stop();
  await second?.stop();
  await etcd?.stop();
  netns?.remove();
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
});

const tls = (c: TestCluster, file: string) => fs.readFileSync(path.join(c.dataDir, 'server', 'tls', file), 'utf8');

test('the second server shares the first one\'s CAs and keys and has its own serving certificate', async () => {
  assert.ok(second.server.stderr().includes(`joined the cluster of ${first.url}`), second.server.stderr());
  for (const file of ['server-ca.crt', 'server-ca.key', 'client-ca.crt', 'client-ca.key']) assert.equal(tls(second, file), tls(first, file), file);
  const saKey = (c: TestCluster) => crypto.createPublicKey(tls(c, 'service.key')).export({ format: 'der', type: 'spki' }).toString('hex');
  assert.equal(saKey(second), saKey(first));
  const serving = (c: TestCluster) => new crypto.X509Certificate(tls(c, 'serving-kube-apiserver.crt'));
  assert.notEqual(serving(second).serialNumber, serving(first).serialNumber);
  assert.ok(serving(second).checkIssued(new crypto.X509Certificate(tls(first, 'server-ca.crt'))));
  assert.equal(fs.readFileSync(path.join(second.dataDir, 'server', 'node-token'), 'utf8'), fs.readFileSync(path.join(first.dataDir, 'server', 'node-token'), 'utf8'));
});

test('each server accepts the other\'s client certificates and service-account tokens', async () => {
  // The first server's admin certificate, sent to the second.
  const viaSecond = await first.kubectl(['--server', second.url, 'get', 'namespace', 'kube-system', '-o', 'name']);
  assert.equal(viaSecond.stdout.trim(), 'namespace/kube-system', viaSecond.stderr);
  assert.equal((await first.kubectl(['create', 'serviceaccount', 'robot'])).code, 0);
  const token = (await first.kubectl(['create', 'token', 'robot'])).stdout.trim();
  assert.match(token, /^ey/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-ha-'));
  scratch.push(dir);
  const kubeconfig = path.join(dir, 'robot.kubeconfig');
  const ca = Buffer.from(tls(first, 'server-ca.crt')).toString('base64');
  fs.writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${second.url}", certificate-authority-data: ${ca}}}]\nusers: [{name: u, user: {token: "${token}"}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
  const whoami = await second.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig });
  assert.equal(whoami.stdout, 'system:serviceaccount:default:robot', whoami.stderr);
});

test('a server given a wrong token does not join, and says why in one line', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-ha-'));
  scratch.push(dir);
  const good = joinToken(first);
  const otherHash = `K10${'0'.repeat(64)}${good.slice(good.indexOf('::'))}`;
  const wrongSecret = `${good.slice(0, good.indexOf('::'))}::server:not-the-secret`;
  for (const [token, why] of [[otherHash, /^tsk: --token: the server's CA hash is [0-9a-f]{64}, the token expects 0{64}/m], [wrongSecret, /^tsk: --token: the server at https:\/\/[\d.]+:\d+ refused the token \(HTTP 401\)/m]] as const) {
    const r = await runTsk(['server', '--disable-agent', '--data-dir', path.join(dir, token.slice(3, 10)), '--bind-address', '127.0.0.1', '--https-listen-port', String(await freePort()), '--datastore-endpoint', endpoint, '--server', first.url, '--token', token]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, why);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('tsk: ')).length, 1, r.stderr);
    assert.ok(!fs.existsSync(path.join(dir, token.slice(3, 10), 'server', 'tls', 'server-ca.key')), 'nothing of the cluster was written');
  }
});

async function endpointPorts(c: TestCluster): Promise<number[]> {
  const ep = JSON.parse((await c.kubectl(['get', 'endpoints', 'kubernetes', '-o', 'json'])).stdout);
  return (ep.subsets ?? []).flatMap((s: { ports: { port: number }[]; addresses: { ip: string }[] }) => s.addresses.map(() => s.ports[0]!.port)).sort();
}

test('the kubernetes endpoints list every live server', async () => {
  const both = [first.port, second.port].sort();
  await until('both servers in the endpoints', async () => (JSON.stringify(await endpointPorts(first)) === JSON.stringify(both) ? true : undefined), 30_000);
  const leases = JSON.parse((await second.kubectl(['get', 'leases', '-n', 'kube-system', '-l', 'apiserver.kubernetes.io/identity=kube-apiserver', '-o', 'json'])).stdout).items;
  assert.equal(leases.length, 2);
});

test('the leading server dies: the other serves, its controllers take over, the simulated node follows', async () => {
  const leaderOf = () => [first, second].find((c) => /leading: starting controllers/.test(c.server.stderr()));
  const leader = await until('a leading controller manager', async () => leaderOf());
  const survivor = leader === first ? second : first;
  const holder = async () => (await survivor.kubectl(['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}'])).stdout;
  const before = await holder();
  // The fleet joins through the server about to die, and learns the other from the endpoints.
  sim = await startSimulate(leader, { nodes: 1, namePrefix: 'ha-' });
  await sim.process.waitForLog(new RegExp(`API servers: .*:${survivor.port}`), 30_000);

  await leader.server.kill();
  survivorOfFailover = survivor;
  assert.equal((await survivor.kubectl(['get', 'namespace', 'default', '-o', 'name'])).stdout.trim(), 'namespace/default');
  await until('another controller manager holding the Lease', async () => {
    const now = await holder();
    return now && now !== before ? now : undefined;
  }, 60_000);
  assert.equal((await survivor.kubectl(['create', 'deployment', 'after', '--image=busybox', '--replicas=2'])).code, 0);
  await until('the new Deployment\'s pods running on the simulated node', async () => {
    const pods = JSON.parse((await survivor.kubectl(['get', 'pods', '-l', 'app=after', '-o', 'json'])).stdout).items as { spec: { nodeName?: string }; status: { phase?: string } }[];
    return pods.length === 2 && pods.every((p) => p.spec.nodeName === 'ha-0' && p.status.phase === 'Running') ? true : undefined;
  }, 90_000);
  // The node's heartbeats go on through the survivor.
  const renewed = async () => (await survivor.kubectl(['get', 'lease', '-n', 'kube-node-lease', 'ha-0', '-o', 'jsonpath={.spec.renewTime}'])).stdout;
  const was = await renewed();
  await until('the simulated node renewing its Lease', async () => ((await renewed()) !== was ? true : undefined), 60_000);
  await until('the dead server out of the endpoints', async () => (JSON.stringify(await endpointPorts(survivor)) === JSON.stringify([survivor.port]) ? true : undefined), 60_000);
});

test('a server that stops cleanly leaves the endpoints at once', async () => {
  const alive = survivorOfFailover ?? second;
  // A third server, joined through whichever server is left.
  const third = onHost(await startCluster(['--datastore-endpoint', endpoint, '--bind-address', netns.hostIp, '--advertise-address', netns.hostIp, '--server', alive.url, '--token', joinToken(alive)]));
  try {
    const lease = /in the kubernetes endpoints \(Lease kube-system\/(apiserver-[0-9a-f]+)/.exec(third.server.stderr())?.[1];
    assert.ok(lease, third.server.stderr());
    await until('the third server in the endpoints', async () => ((await endpointPorts(alive)).includes(third.port) ? true : undefined), 30_000);
    third.server.signal('SIGTERM');
    assert.equal(await third.server.exited, 0);
    // Gone right away: a dead server's Lease would stay for a minute before being collected.
    assert.ok(!(await endpointPorts(alive)).includes(third.port));
    const r = await alive.kubectl(['get', 'lease', '-n', 'kube-system', lease]);
    assert.match(r.stderr, /NotFound/);
  } finally {
    await third.stop();
  }
});

test('one etcd member dies: writes go on', async () => {
  const alive = survivorOfFailover ?? second;
  await etcd.members[0]!.kill();
  await until('a write after the etcd member died', async () => ((await alive.kubectl(['create', 'configmap', 'after-etcd-loss', '--from-literal=k=v'])).code === 0 ? true : undefined), 60_000);
  const read = await alive.kubectl(['get', 'configmap', 'after-etcd-loss', '-o', 'jsonpath={.data.k}']);
  assert.equal(read.stdout, 'v', read.stderr);
  assert.equal((await alive.kubectl(['scale', 'deployment', 'after', '--replicas=3'])).code, 0);
  await until('the scaled Deployment\'s third pod', async () => {
    const pods = JSON.parse((await alive.kubectl(['get', 'pods', '-l', 'app=after', '-o', 'json'])).stdout).items as { status: { phase?: string } }[];
    return pods.filter((p) => p.status.phase === 'Running').length === 3 ? true : undefined;
  }, 60_000);
});
