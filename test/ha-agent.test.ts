/**
 * A real agent fails over between the servers of an HA cluster (issue 7): two servers on a
 * three-member etcd, listening on the host end of a veth; an agent in the test's network
 * namespace joins the first. It learns the second from the kubernetes endpoints and keeps
 * them in DATA_DIR/agent/servers.json; after the first is SIGKILLed its node keeps renewing
 * its Lease through the second, and a restart of the agent while the first is still down
 * (`tsk agent`, from stored credentials) comes up through the second too. No pods: the node's
 * heartbeats are what failover is about. ~1 min.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cniMissing } from '../pkg/network/testkit.ts';
import { cleanUpHost } from './lib/agent.ts';
import { freePort, startCluster, type TestCluster } from './lib/cluster.ts';
import { startEtcdCluster, type EtcdCluster } from './lib/etcd.ts';
import { createTestNetns, type TestNetns } from './lib/netns.ts';
import { joinToken } from './lib/simulate.ts';
import type { TskProcess } from './lib/tsk.ts';
import { until } from './lib/until.ts';

const NODE = 'ha-agent-1';

let netns: TestNetns;
let etcd: EtcdCluster;
let first: TestCluster;
let second: TestCluster;
let agent: TskProcess | undefined;
let dataDir: string;

const urlOf = (c: TestCluster) => `https://${netns.hostIp}:${c.port}`;

before(async () => {
  if (cniMissing) return;
  netns = createTestNetns();
  etcd = await startEtcdCluster(3);
  const on = ['--datastore-endpoint', `etcd://${etcd.endpoints.join(',')}`, '--bind-address', netns.hostIp, '--advertise-address', netns.hostIp];
  first = await startCluster(on);
  second = await startCluster([...on, '--server', urlOf(first), '--token', joinToken(first)]);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-ha-agent-'));
});

after(async () => {
  if (agent) {
    agent.signal('SIGTERM');
    const timer = setTimeout(() => void agent?.kill(), 30_000);
    await agent.exited;
    clearTimeout(timer);
  }
  await first?.stop();
  await second?.stop();
  await etcd?.stop();
  if (dataDir) {
    cleanUpHost(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  netns?.remove();
});

/** The node's Lease renewTime as the second server has it. */
async function renewTime(): Promise<string> {
  const r = await second.kubectl(['get', 'lease', '-n', 'kube-node-lease', NODE, '-o', 'jsonpath={.spec.renewTime}']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

async function renewedAfter(what: string, was: string): Promise<void> {
  await until(what, async () => ((await renewTime()) !== was ? true : undefined), 90_000);
}

describe('an agent of an HA cluster', { skip: cniMissing }, () => {
  test('learns every server and keeps the list in DATA_DIR/agent/servers.json', async () => {
    agent = netns.startTsk(['agent', 'join', '--server', urlOf(first), '--token', joinToken(first), '--data-dir', dataDir, '--node-name', NODE, '--node-ip', netns.nsIp, '--kubelet-port', String(await freePort())]);
    await agent.waitForLog(new RegExp(`agent for node ${NODE} running`), 90_000);
    const file = path.join(dataDir, 'agent', 'servers.json');
    const servers = await until('the agent to store both servers', async () => {
      const urls = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as string[]) : [];
      return urls.includes(urlOf(second)) ? urls : undefined;
    }, 60_000);
    assert.deepEqual(servers, [urlOf(first), urlOf(second)], 'the server it joined stays first');
  });

  test('its node keeps renewing through the other server when the one it joined dies', async () => {
    const was = await renewTime();
    await first.server.kill();
    await renewedAfter('the node Lease renewed through the second server', was);
    // Renewed again: one renewal could have been sent just before the kill.
    await renewedAfter('another renewal through the second server', await renewTime());
  });

  test('restarted while the server it joined is still down, it comes up through the other', async () => {
    agent!.signal('SIGTERM');
    assert.equal(await agent!.exited, 0);
    const was = await renewTime();
    agent = netns.startTsk(['agent', '--data-dir', dataDir]);
    await agent.waitForLog(new RegExp(`agent for node ${NODE} running`), 90_000);
    await renewedAfter('the restarted agent renewing its node Lease', was);
  });
});
