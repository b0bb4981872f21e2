/**
 * The conflist tsk writes, run through Debian's real CNI plugins by the CNI protocol: a "node"
 * network namespace holds the bridge, two "pod" namespaces get addresses from the podCIDR,
 * reach the gateway, each other and a hostPort; DEL gives everything back. Nothing here
 * touches the machine's own namespace.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { until } from '../../test/lib/until.ts';
import { CNI_NETWORK_NAME, cniPaths, writeCniConfig, type CniConfigList } from './cni.ts';
import { cniAdd, cniDel, cniMissing, Netns, type CniInvocation, type CniResult } from './testkit.ts';

const POD_CIDR = '10.88.7.0/24';
const GATEWAY = '10.88.7.1';

describe('the CNI config through the real plugins', { skip: cniMissing }, () => {
  let tmp: string;
  let list: CniConfigList;
  let ipamDir: string;
  const namespaces: Netns[] = [];
  const servers: ChildProcess[] = [];
  let host: Netns;
  const pods: { call: CniInvocation; result?: CniResult }[] = [];

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cni-plugins-'));
    const paths = cniPaths(path.join(tmp, 'agent'));
    const { file } = writeCniConfig({ ...paths, podCidr: POD_CIDR });
    list = JSON.parse(fs.readFileSync(file, 'utf8')) as CniConfigList;
    ipamDir = path.join(paths.ipamDataDir, CNI_NETWORK_NAME);
    host = Netns.create('tsk-cni-node');
    namespaces.push(host);
    for (const name of ['a', 'b']) {
      const pod = Netns.create(`tsk-cni-pod${name}`);
      namespaces.push(pod);
      pods.push({ call: { host, pod, containerId: randomBytes(16).toString('hex'), runtimeConfig: { portMappings: [{ hostPort: 8080 + pods.length, containerPort: 80, protocol: 'tcp' }] } } });
    }
  });

  after(() => {
    for (const server of servers) if (server.pid !== undefined && server.exitCode === null) process.kill(server.pid, 'SIGKILL');
    for (const netns of namespaces) netns.remove();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('turns on forwarding inside the node namespace', () => {
    const sysctl = fileURLToPath(new URL('./sysctl.ts', import.meta.url));
    const script = `import { enableForwarding } from ${JSON.stringify(sysctl)}; process.stdout.write(JSON.stringify(enableForwarding()));`;
    const warnings = JSON.parse(host.exec(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])) as string[];
    assert.deepEqual(warnings, []);
    assert.equal(host.exec('cat', ['/proc/sys/net/ipv4/ip_forward']).trim(), '1');
    assert.equal(host.exec('cat', ['/proc/sys/net/bridge/bridge-nf-call-iptables']).trim(), '1');
  });

  it('gives each pod an address of the podCIDR with a default route through the bridge', () => {
    for (const pod of pods) pod.result = cniAdd(list, pod.call);
    const addresses = pods.map((p) => p.result!.ips?.[0]?.address);
    assert.deepEqual(addresses, ['10.88.7.2/24', '10.88.7.3/24']);
    for (const pod of pods) {
      assert.equal(pod.result!.ips![0]!.gateway, GATEWAY);
      const eth0 = pod.call.pod.exec('ip', ['-4', '-o', 'addr', 'show', 'eth0']);
      assert.match(eth0, new RegExp(` inet ${pod.result!.ips![0]!.address.replace(/\./g, '\\.')} `));
      assert.match(pod.call.pod.exec('ip', ['route', 'show', 'default']), /^default via 10\.88\.7\.1 dev eth0/);
    }
    assert.match(host.exec('ip', ['-4', '-o', 'addr', 'show', 'tsk0']), / inet 10\.88\.7\.1\/24 /);
    // host-local's leases live in the agent's data dir, one file per address.
    assert.ok(fs.existsSync(path.join(ipamDir, '10.88.7.2')));
    assert.ok(fs.existsSync(path.join(ipamDir, '10.88.7.3')));
  });

  it('lets a pod reach the gateway, and the node and other pods reach it', async () => {
    const [a, b] = pods as [(typeof pods)[0], (typeof pods)[0]];
    assert.match(a.call.pod.exec('busybox', ['ping', '-c', '1', '-W', '5', GATEWAY]), /1 packets received/);
    const www = path.join(tmp, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), 'hello from pod a\n');
    servers.push(a.call.pod.spawn('busybox', ['httpd', '-f', '-p', '80', '-h', www]));
    const podIp = a.result!.ips![0]!.address.split('/')[0]!;
    // No -T: Debian's static busybox wget crashes with a timeout set (exec's own timeout guards).
    const fetch = (from: Netns, url: string) => from.exec('busybox', ['wget', '-q', '-O', '-', url]);
    assert.equal(await until('pod a serving', async () => fetch(host, `http://${podIp}/`)), 'hello from pod a\n');
    assert.equal(fetch(b.call.pod, `http://${podIp}/`), 'hello from pod a\n');
    // portmap's hostPort 8080 on the node's own address.
    assert.equal(fetch(host, `http://${GATEWAY}:8080/`), 'hello from pod a\n');
  });

  it('gives everything back on DEL', () => {
    for (const pod of pods) cniDel(list, pod.call, pod.result!);
    assert.deepEqual(fs.readdirSync(ipamDir).filter((f) => /^\d/.test(f)), []);
    for (const pod of pods) assert.doesNotMatch(pod.call.pod.exec('ip', ['-o', 'link']), /eth0/);
    const rules = host.exec('iptables-save', []);
    assert.doesNotMatch(rules, /10\.88\.7\.[23]|dport 808[01]/);
  });
});
