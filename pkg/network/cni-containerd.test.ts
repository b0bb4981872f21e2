/**
 * The conflist as containerd's CRI plugin uses it: a real containerd (pkg/cri/testkit.ts)
 * reports the network not ready until the file appears in its conf dir, then gives a pod
 * sandbox an address of the podCIDR that the host reaches, directly and through a hostPort.
 *
 * containerd runs in this machine's network namespace, so the bridge (a name of its own) and
 * the plugins' iptables rules live there while the test runs; the test removes the bridge and
 * portmap's shared chains (unless they were there before), puts back net.ipv4.ip_forward (the
 * bridge plugin turns it on for a gateway bridge) and checks that stopping the sandbox left no
 * rule of its own behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../test/lib/cluster.ts';
import { buildBusyboxImage } from '../../test/lib/images.ts';
import { until } from '../../test/lib/until.ts';
import { importImages } from '../containerd/import.ts';
import { pauseImageArchive, pauseImageName } from '../containerd/pause.ts';
import { runtimeMissing, startTestRuntime, type TestRuntime } from '../cri/testkit.ts';
import type { PodSandboxConfig } from '../cri/types.ts';
import { CNI_NETWORK_NAME, writeCniConfig } from './cni.ts';
import { cniMissing, portmapChainsPresent, removePortmapChains } from './testkit.ts';

const BUSYBOX_IMAGE = 'tsk.local/busybox:cni-test';
// A range this machine does not use (checked in before), and a bridge name of the test's own.
const SUBNET = `10.89.${Math.floor(Math.random() * 250) + 1}`;
const POD_CIDR = `${SUBNET}.0/24`;
const GATEWAY = `${SUBNET}.1`;
const BRIDGE = `tskt${randomBytes(3).toString('hex')}`;
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** No -T: Debian's static busybox wget crashes with a timeout set; execFileSync's guards. */
const wget = (url: string) => execFileSync('busybox', ['wget', '-q', '-O', '-', url], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
const networkReady = async (runtime: TestRuntime) =>
  (await runtime.client.status({})).status?.conditions.find((c) => c.type === 'NetworkReady');

describe('a pod sandbox on the CNI config through containerd', { skip: runtimeMissing || cniMissing }, () => {
  let runtime: TestRuntime;
  let ipamDataDir: string;
  let hostPort: number;
  let sandboxConfig: PodSandboxConfig;
  let podSandboxId: string;
  let podIp: string;
  let portmapChainsWereThere = true;
  let ipForward: string | undefined;

  before(async () => {
    portmapChainsWereThere = portmapChainsPresent();
    ipForward = fs.readFileSync(IP_FORWARD, 'utf8');
    assert.doesNotMatch(execFileSync('ip', ['-4', 'route'], { encoding: 'utf8' }), new RegExp(`^${SUBNET.replace(/\./g, '\\.')}\\.`, 'm'), 'the test range is in use here');
    runtime = await startTestRuntime(pauseImageName());
    const { ctr, snapshotter } = runtime.containerd;
    await importImages(ctr, pauseImageArchive(), snapshotter);
    await importImages(ctr, buildBusyboxImage({ name: BUSYBOX_IMAGE, dir: runtime.tmp }), snapshotter);
    ipamDataDir = path.join(runtime.tmp, 'cni', 'networks');
    hostPort = await freePort();
    sandboxConfig = {
      metadata: { name: 'cni-test', uid: randomUUID(), namespace: 'default', attempt: 0 },
      hostname: 'cni-test',
      logDirectory: path.join(runtime.tmp, 'pods', 'default_cni-test'),
      portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort }],
      linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } } },
    } as PodSandboxConfig;
    fs.mkdirSync(sandboxConfig.logDirectory!, { recursive: true });
  });

  after(async () => {
    await runtime?.stop();
    try {
      execFileSync('ip', ['link', 'del', BRIDGE], { stdio: 'ignore' });
    } catch {
      // never created
    }
    if (!portmapChainsWereThere) removePortmapChains();
    if (ipForward !== undefined) fs.writeFileSync(IP_FORWARD, ipForward);
  });

  it('is not ready, and refuses pod networks, until the config exists', async () => {
    const before = await networkReady(runtime);
    assert.equal(before?.status, false);
    assert.match(before!.message, /cni (config|plugin) (uninitialized|not initialized)/i);
    await assert.rejects(runtime.client.runPodSandbox({ config: sandboxConfig }), /cni (config|plugin) (uninitialized|not initialized)/i);
  });

  it('becomes ready once the config is written', async () => {
    writeCniConfig({ confDir: path.join(runtime.tmp, 'cni', 'net.d'), ipamDataDir, podCidr: POD_CIDR, bridgeName: BRIDGE });
    await until('NetworkReady', async () => ((await networkReady(runtime))?.status ? true : undefined));
    // containerd 1.6 keeps the refused sandbox (NOTREADY, its name reserved) and can tear its
    // network down only now that CNI is configured: clean it up as the kubelet would.
    const { items } = await runtime.client.listPodSandbox({});
    assert.deepEqual(items.map((s) => s.state), ['SANDBOX_NOTREADY']);
    await runtime.client.stopPodSandbox({ podSandboxId: items[0]!.id });
    await runtime.client.removePodSandbox({ podSandboxId: items[0]!.id });
  });

  it('gives the sandbox an address of the podCIDR, from the agent-local IPAM', async () => {
    ({ podSandboxId } = await runtime.client.runPodSandbox({ config: sandboxConfig }));
    const { status } = await runtime.client.podSandboxStatus({ podSandboxId });
    podIp = status!.network!.ip;
    assert.match(podIp, new RegExp(`^${SUBNET.replace(/\./g, '\\.')}\\.\\d+$`));
    assert.notEqual(podIp, GATEWAY);
    assert.ok(fs.existsSync(path.join(ipamDataDir, CNI_NETWORK_NAME, podIp)), 'host-local lease under the agent dir');
    assert.match(execFileSync('ip', ['-4', '-o', 'addr', 'show', BRIDGE], { encoding: 'utf8' }), new RegExp(` inet ${GATEWAY.replace(/\./g, '\\.')}/24 `));
  });

  it('is reachable from the host on its address and on its hostPort', async () => {
    const { containerId } = await runtime.client.createContainer({
      podSandboxId,
      sandboxConfig,
      config: {
        metadata: { name: 'web', attempt: 0 },
        image: { image: BUSYBOX_IMAGE },
        command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'],
        logPath: 'web/0.log',
      },
    });
    await runtime.client.startContainer({ containerId });
    assert.equal(await until('the pod answering', async () => wget(`http://${podIp}/`)), 'cni-test\n');
    assert.equal(wget(`http://${GATEWAY}:${hostPort}/`), 'cni-test\n');
  });

  it('gives the address back and leaves no rule when the sandbox stops', async () => {
    await runtime.client.stopPodSandbox({ podSandboxId });
    await runtime.client.removePodSandbox({ podSandboxId });
    assert.equal(fs.existsSync(path.join(ipamDataDir, CNI_NETWORK_NAME, podIp)), false);
    const rules = execFileSync('iptables-save', { encoding: 'utf8' });
    assert.equal(rules.includes(podIp), false, `rules left for ${podIp}:\n${rules}`);
    assert.equal(rules.includes(`dport ${hostPort}`), false, `hostPort rules left:\n${rules}`);
  });
});
