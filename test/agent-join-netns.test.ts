/**
 * A second node joins from a network namespace made by the test (issue 5, "How it is
 * checked"): its own address, its own managed containerd, CNI bridge and pods, all under its
 * own --data-dir, against a real server reached over a veth pair; checked with real kubectl.
 * Also from inside the namespace: a wrong token and a token whose CA hash is another
 * server's end `join` at once with a clear message.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cidrContains } from '../pkg/network/cidr.ts';
import { CNI_CONFIG_FILE, cniPaths } from '../pkg/network/cni.ts';
import { cniMissing } from '../pkg/network/testkit.ts';
import { cleanUpHost, runtimeProcessesOf } from './lib/agent.ts';
import { freePort, startCluster, type TestCluster } from './lib/cluster.ts';
import { buildBusyboxImage } from './lib/images.ts';
import { createTestNetns, type TestNetns } from './lib/netns.ts';
import type { TskProcess } from './lib/tsk.ts';
import { until } from './lib/until.ts';

const NODE = 'joined-1';
const IMAGE = 'tsk.local/busybox:join';
const POD = 'web';

let netns: TestNetns;
let cluster: TestCluster;
let url: string;
const dataDirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-join-netns-'));
  dataDirs.push(dir);
  return dir;
}

const token = () => fs.readFileSync(path.join(cluster.dataDir, 'server', 'node-token'), 'utf8').trim();
const kubectl = (args: string[]) => cluster.kubectl(args);
async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

function join(dataDir: string, nodeName: string, joinToken: string, extra: string[] = []): TskProcess {
  return netns.startTsk(['agent', 'join', '--server', url, '--token', joinToken, '--data-dir', dataDir, '--node-name', nodeName, '--node-ip', netns.nsIp, ...extra]);
}

/** Exit code and stderr of a join that must end on its own (killed after 60 s so a hang fails the test). */
async function finished(p: TskProcess): Promise<{ code: number | string; stderr: string }> {
  const timer = setTimeout(() => void p.kill(), 60_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stderr: p.stderr() };
}

function containerIds(dataDir: string): string[] {
  const socket = path.join(dataDir, 'agent', 'containerd', 'containerd.sock');
  return execFileSync('ctr', ['--address', socket, '-n', 'k8s.io', 'containers', 'ls', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

before(async () => {
  if (cniMissing) return;
  netns = createTestNetns();
  // The server listens on the host end of the veth only: the namespace reaches it there, and so does kubectl.
  cluster = await startCluster(['--bind-address', netns.hostIp, '--advertise-address', netns.hostIp]);
  url = `https://${netns.hostIp}:${cluster.port}`;
});

after(async () => {
  await cluster?.stop();
  // Whatever a joined agent left: its runc containers, containerd and shims, mounts, then its folder.
  for (const dir of dataDirs) cleanUpHost(dir);
  netns?.remove();
});

describe('a node joined from a network namespace', { skip: cniMissing }, () => {
  let dataDir: string;
  let agent: TskProcess | undefined;

  after(async () => {
    if (!agent) return;
    try {
      // Pods go while the agent still runs, so its kubelet tears down their sandboxes and network.
      await ok(['delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=false']);
      await until('the joined node\'s runtime to have no containers left', async () => (containerIds(dataDir).length === 0 ? true : undefined));
    } catch (err) {
      console.error(`cleaning up by force: ${(err as Error).message}`);
    }
    agent.signal('SIGTERM');
    const timer = setTimeout(() => void agent?.kill(), 30_000);
    await agent.exited;
    clearTimeout(timer);
  });

  test('joins with a good token and its Node becomes Ready with the namespace\'s address', async () => {
    dataDir = tempDir();
    buildBusyboxImage({ name: IMAGE, dir: path.join(dataDir, 'agent', 'images') });
    agent = join(dataDir, NODE, token(), ['--kubelet-port', String(await freePort())]);
    await agent.waitForLog(new RegExp(`agent for node ${NODE} running`), 90_000);
    const podCidr = await until('the node to get a podCIDR', async () => (await ok(['get', 'node', NODE, '-o', 'jsonpath={.spec.podCIDR}'])).trim() || undefined);
    // The agent writes its own pod network's CNI config, with its podCIDR, under its data dir.
    const conflist = path.join(cniPaths(path.join(dataDir, 'agent')).confDir, CNI_CONFIG_FILE);
    await until('the agent to write its CNI config', async () => (fs.existsSync(conflist) ? true : undefined));
    assert.match(fs.readFileSync(conflist, 'utf8'), new RegExp(`"subnet": ?"${podCidr.replace(/\./g, '\\.')}"`));
    await until('the node to be Ready', async () => {
      const ready = await ok(['get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return ready.trim() === 'True' ? true : undefined;
    }, 90_000);
    const addresses = JSON.parse(await ok(['get', 'node', NODE, '-o', 'jsonpath={.status.addresses}']));
    assert.deepEqual(addresses.find((a: { type: string }) => a.type === 'InternalIP'), { type: 'InternalIP', address: netns.nsIp });
    // The agent and its own containerd (configured under its data dir) live in the namespace.
    assert.ok(netns.holds(agent.pid), 'the agent runs in the namespace');
    const { containerd } = runtimeProcessesOf(dataDir);
    assert.equal(containerd.length, 1, 'one containerd of its own');
    assert.ok(netns.holds(containerd[0]!), 'its containerd runs in the namespace');
  });

  test('a pod bound to it runs from an image in its own images folder, on its bridge in the namespace', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: POD, namespace: 'default' },
      spec: {
        nodeSelector: { 'kubernetes.io/hostname': NODE },
        containers: [{
          name: 'web',
          image: IMAGE,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && echo serving && exec httpd -f -p 8080 -h /www'],
        }],
      },
    };
    const created = await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
    assert.equal(created.code, 0, created.stderr);
    const status = await until('the pod to run', async () => {
      const p = JSON.parse(await ok(['get', 'pod', POD, '-o', 'json']));
      return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    }, 90_000).catch(async (err: Error) => {
      const described = (await kubectl(['describe', 'pod', POD])).stdout;
      throw new Error(`${err.message}\n${described}\nagent log (last 6000 chars):\n${agent?.stderr().slice(-6000)}`);
    });
    assert.equal(status.spec.nodeName, NODE);
    assert.equal(status.status.hostIP, netns.nsIp);
    const podCidr = (await ok(['get', 'node', NODE, '-o', 'jsonpath={.spec.podCIDR}'])).trim();
    assert.ok(cidrContains(podCidr, status.status.podIP), `pod IP ${status.status.podIP} in the node's podCIDR ${podCidr}`);
    // The pod's network lives in the namespace: its bridge is there, and the pod answers from there.
    assert.match(netns.exec('ip', ['-o', 'link', 'show', 'tsk0']), /tsk0/);
    const page = await until('the pod to answer HTTP from inside the namespace', async () => {
      const r = spawnSync('ip', ['netns', 'exec', netns.name, '/bin/busybox', 'wget', '-qO-', `http://${status.status.podIP}:8080/`], { encoding: 'utf8', timeout: 10_000 });
      return r.status === 0 ? r.stdout : undefined;
    });
    assert.equal(page.trim(), `hello from ${POD}`);
  });

  test('kubectl logs reaches the pod through the API server', async () => {
    const r = await kubectl(['logs', POD]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'serving\n');
  });

  test('kubectl exec reaches the pod through the API server, with its exit code', async () => {
    const r = await kubectl(['exec', POD, '--', 'cat', '/www/index.html']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `hello from ${POD}\n`);
    const failed = await kubectl(['exec', POD, '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3, failed.stderr);
  });

  test('on SIGTERM the agent leaves its pod running, and `tsk agent` (what the service runs once joined) adopts it', async () => {
    const earlier = JSON.parse(await ok(['get', 'pod', POD, '-o', 'json']));
    const { shims } = runtimeProcessesOf(dataDir);
    assert.ok(shims.length > 0, 'the pod has a shim');
    agent!.signal('SIGTERM');
    const code = await finished(agent!);
    assert.equal(code.code, 0, code.stderr.slice(-3000));
    for (const pid of shims) assert.ok(fs.existsSync(`/proc/${pid}`), `shim ${pid} outlived the agent`);
    const answer = spawnSync('ip', ['netns', 'exec', netns.name, '/bin/busybox', 'wget', '-qO-', `http://${earlier.status.podIP}:8080/`], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(answer.stdout.trim(), `hello from ${POD}`, 'the pod serves while no agent runs');

    agent = netns.startTsk(['agent', '--data-dir', dataDir]);
    await agent.waitForLog(new RegExp(`agent for node ${NODE} running`), 90_000);
    // A successful exec goes through the new kubelet, which has synced the pod by then.
    await until('exec through the new kubelet', async () => ((await kubectl(['exec', POD, '--', 'true'])).code === 0 ? true : undefined), 90_000);
    const adopted = JSON.parse(await ok(['get', 'pod', POD, '-o', 'json']));
    assert.equal(adopted.status.phase, 'Running');
    assert.equal(adopted.status.containerStatuses[0].containerID, earlier.status.containerStatuses[0].containerID, 'the same container');
    assert.equal(adopted.status.containerStatuses[0].restartCount, 0);
    assert.deepEqual(runtimeProcessesOf(dataDir).shims.filter((pid) => shims.includes(pid)).sort(), [...shims].sort(), 'the same shims');
  });
});

describe('join refusals from the namespace', { skip: cniMissing }, () => {
  test('a wrong secret ends at once with a message naming --token', async () => {
    const wrong = token().replace(/::server:.*$/, '::server:not-the-secret');
    const r = await finished(join(tempDir(), 'joined-2', wrong));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^tsk: --token: the server refused the join token \(HTTP 401\)$/m);
    assert.doesNotMatch(r.stderr, /retrying/, 'a refusal is not retried');
  });

  test('a token whose CA hash is another server\'s ends at once with a message about the CA', async () => {
    const foreign = token().replace(/^K10[0-9a-f]{64}/, `K10${'0'.repeat(64)}`);
    const r = await finished(join(tempDir(), 'joined-3', foreign));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^tsk: --token: .*the server's CA does not match the token's hash/m);
    assert.doesNotMatch(r.stderr, /retrying/, 'a refusal is not retried');
  });
});
