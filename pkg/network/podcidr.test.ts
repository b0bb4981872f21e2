/**
 * waitForPodCidr and startPodNetwork against the real server: the node IPAM controller assigns
 * the range after the Node appears, and the wait sees it whether it started before or after.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterPerFile } from '../../test/lib/cluster.ts';
import { Client, isClientError } from '../client/client.ts';
import { NetworkError } from './errors.ts';
import { waitForPodCidr } from './podcidr.ts';
import { startPodNetwork } from './podnetwork.ts';

const nodeYaml = (name: string) => `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${name}\n`;

describe('waitForPodCidr', () => {
  const { cluster, ok } = clusterPerFile();
  let client: Client;

  before(() => {
    client = Client.fromKubeconfig(cluster().kubeconfig, { userAgent: 'podcidr-test' });
  });
  after(() => client?.close());

  it('waits for a Node that does not exist yet, then for its range', async () => {
    const waiting = waitForPodCidr(client, 'cidr-late', { retryMs: 100 });
    let settled = false;
    void waiting.then(() => (settled = true), () => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(settled, false, 'resolved before the Node existed');
    await ok(['apply', '-f', '-'], nodeYaml('cidr-late'));
    const cidr = await waiting;
    assert.match(cidr, /^10\.42\.\d+\.0\/24$/);
    assert.equal(await ok(['get', 'node', 'cidr-late', '-o', 'jsonpath={.spec.podCIDR}']), cidr);
  });

  it('gives the same range again once assigned, and another node a range of its own', async () => {
    await ok(['apply', '-f', '-'], nodeYaml('cidr-early'));
    const cidr = await waitForPodCidr(client, 'cidr-early');
    assert.equal(await ok(['get', 'node', 'cidr-early', '-o', 'jsonpath={.spec.podCIDR}']), cidr);
    assert.equal(await waitForPodCidr(client, 'cidr-early'), cidr);
    assert.notEqual(cidr, await waitForPodCidr(client, 'cidr-late'), 'two nodes share a range');
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const waiting = waitForPodCidr(client, 'cidr-never', { signal: controller.signal, retryMs: 100 });
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(waiting, (err: unknown) => err instanceof NetworkError && err.code === 'no-pod-cidr');
  });

  it('does not wait out a refusal that waiting cannot fix', async () => {
    const anonymous = new Client({ server: client.credentials.server, ca: client.credentials.ca }, { userAgent: 'podcidr-test' });
    try {
      await assert.rejects(waitForPodCidr(anonymous, 'cidr-late'), (err: unknown) => isClientError(err, 'Unauthorized') || isClientError(err, 'Forbidden'));
    } finally {
      anonymous.close();
    }
  });

  it('startPodNetwork writes the conflist for the Node\'s range and turns the network ready', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-podnetwork-'));
    try {
      const procSys = path.join(tmp, 'proc-sys');
      fs.mkdirSync(path.join(procSys, 'net', 'ipv4'), { recursive: true });
      fs.writeFileSync(path.join(procSys, 'net', 'ipv4', 'ip_forward'), '0\n');
      // No bridge here: this test is about the conflist (bridge.test.ts makes one in a namespace).
      const network = startPodNetwork({ client, nodeName: 'cidr-agent', agentDir: path.join(tmp, 'agent'), procSys, makeBridge: false, mtu: async () => 1450 });
      assert.equal(network.readiness().ready, false);
      await ok(['apply', '-f', '-'], nodeYaml('cidr-agent'));
      const { podCidr: cidr, gateway } = await network.ready;
      assert.equal(gateway, cidr.replace(/0\/24$/, '1'));
      assert.equal(await ok(['get', 'node', 'cidr-agent', '-o', 'jsonpath={.spec.podCIDR}']), cidr);
      assert.deepEqual(network.readiness(), { ready: true });
      const written = JSON.parse(fs.readFileSync(path.join(network.paths.confDir, '10-tsk.conflist'), 'utf8'));
      assert.deepEqual(written.plugins[0].ipam.ranges, [[{ subnet: cidr }]]);
      assert.equal(written.plugins[0].mtu, 1450, 'the backend\'s MTU');
      assert.equal(fs.readFileSync(path.join(procSys, 'net', 'ipv4', 'ip_forward'), 'utf8'), '1');
      network.stop();
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('startPodNetwork stops waiting on stop()', async () => {
    const network = startPodNetwork({ client, nodeName: 'cidr-never-agent', agentDir: path.join(os.tmpdir(), 'tsk-podnetwork-never') });
    network.stop();
    await assert.rejects(network.ready, (err: unknown) => err instanceof NetworkError && err.code === 'no-pod-cidr');
    assert.equal(fs.existsSync(path.join(os.tmpdir(), 'tsk-podnetwork-never')), false, 'nothing written');
  });
});
