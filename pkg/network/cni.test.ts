import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CNI_CONFIG_FILE, cniConfigList, cniPaths, cniReadiness, writeCniConfig, type CniConfigOptions } from './cni.ts';
import { NetworkError } from './errors.ts';
import { enableForwarding } from './sysctl.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cni-unit-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function options(dir: string, extra: Partial<CniConfigOptions> = {}): CniConfigOptions {
  return { ...cniPaths(path.join(tmp, dir, 'agent')), podCidr: '10.42.3.0/24', ...extra };
}

type Plugin = Record<string, unknown> & { ipam?: Record<string, unknown> };

describe('CNI config', () => {
  it('chains bridge with host-local on the podCIDR, then portmap and bandwidth', () => {
    const o = options('content');
    const list = cniConfigList(o);
    assert.equal(list.cniVersion, '1.0.0');
    assert.equal(list.name, 'tsk');
    assert.deepEqual(list.plugins.map((p) => p.type), ['bridge', 'portmap', 'bandwidth']);
    const bridge = list.plugins[0] as Plugin;
    assert.equal(bridge.bridge, 'tsk0');
    assert.equal(bridge.isGateway, true);
    assert.equal(bridge.ipMasq, false, 'the overlay masquerades only what leaves the cluster CIDR');
    assert.equal(bridge.hairpinMode, true);
    assert.equal('mtu' in bridge, false);
    assert.deepEqual(bridge.ipam, {
      type: 'host-local',
      ranges: [[{ subnet: '10.42.3.0/24' }]],
      routes: [{ dst: '0.0.0.0/0' }],
      dataDir: path.join(tmp, 'content', 'agent', 'cni', 'networks'),
    });
    assert.deepEqual(list.plugins[1]!.capabilities, { portMappings: true });
    assert.deepEqual(list.plugins[2]!.capabilities, { bandwidth: true });
  });

  it('keeps state under the agent dir, in the conf dir containerd is configured with', () => {
    assert.deepEqual(cniPaths('/var/lib/tsk/agent'), { confDir: '/var/lib/tsk/agent/etc/cni/net.d', ipamDataDir: '/var/lib/tsk/agent/cni/networks' });
  });

  it('takes a bridge name, an MTU, the bridge plugin masquerading, and IPv6 ranges', () => {
    const bridge = cniConfigList(options('v6', { podCidr: 'fd00:42:0:3::/64', bridgeName: 'tsk-n2', mtu: 1450, ipMasq: true })).plugins[0] as Plugin;
    assert.equal(bridge.bridge, 'tsk-n2');
    assert.equal(bridge.mtu, 1450);
    assert.equal(bridge.ipMasq, true);
    assert.deepEqual(bridge.ipam?.routes, [{ dst: '::/0' }]);
  });

  it('refuses ranges, names and MTUs the plugins would choke on', () => {
    const refused = (extra: Partial<CniConfigOptions>, code: string) =>
      assert.throws(() => cniConfigList(options('bad', extra)), (err: unknown) => err instanceof NetworkError && err.code === code);
    for (const podCidr of ['10.42.3.0', '10.42.3.0/31', '10.42.3.0/33', 'x/24', '10.42.3.0/24/1', '']) refused({ podCidr }, 'bad-pod-cidr');
    for (const bridgeName of ['a-name-longer-than-15', 'has space', 'a/b', '']) refused({ bridgeName }, 'bad-bridge-name');
    for (const mtu of [100, 70000, 1500.5]) refused({ mtu }, 'bad-mtu');
  });

  it('writes the file once, rewrites it only when it changes, and leaves no temp file', () => {
    const o = options('write');
    const first = writeCniConfig(o);
    assert.equal(first.file, path.join(o.confDir, CNI_CONFIG_FILE));
    assert.equal(first.changed, true);
    assert.deepEqual(JSON.parse(fs.readFileSync(first.file, 'utf8')), cniConfigList(o));
    assert.ok(fs.statSync(o.ipamDataDir).isDirectory());
    const inode = fs.statSync(first.file).ino;
    assert.equal(writeCniConfig(o).changed, false);
    assert.equal(fs.statSync(first.file).ino, inode, 'an unchanged config is not replaced');
    const moved = writeCniConfig({ ...o, podCidr: '10.42.4.0/24' });
    assert.equal(moved.changed, true);
    assert.notEqual(fs.statSync(first.file).ino, inode, 'replaced by a rename, not rewritten in place');
    assert.match(fs.readFileSync(first.file, 'utf8'), /10\.42\.4\.0\/24/);
    assert.deepEqual(fs.readdirSync(o.confDir), [CNI_CONFIG_FILE]);
  });

  it('reports the network not ready until the file exists', () => {
    const o = options('ready');
    const before = cniReadiness(o.confDir);
    assert.equal(before.ready, false);
    assert.match(before.message!, /no 10-tsk\.conflist .*podCIDR/);
    writeCniConfig(o);
    assert.deepEqual(cniReadiness(o.confDir), { ready: true });
  });
});

describe('forwarding sysctls', () => {
  function procSys(name: string, values: Record<string, string>): string {
    const root = path.join(tmp, name);
    for (const [key, value] of Object.entries(values)) {
      const file = path.join(root, ...key.split('.'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, value);
    }
    return root;
  }
  const read = (root: string, key: string) => fs.readFileSync(path.join(root, ...key.split('.')), 'utf8').trim();

  it('turns on forwarding and bridge netfilter', () => {
    const root = procSys('sys-all', {
      'net.ipv4.ip_forward': '0\n',
      'net.ipv6.conf.all.forwarding': '0\n',
      'net.bridge.bridge-nf-call-iptables': '0\n',
      'net.bridge.bridge-nf-call-ip6tables': '1\n',
    });
    assert.deepEqual(enableForwarding({ procSys: root, ipv6: true }), []);
    for (const key of ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables']) {
      assert.equal(read(root, key), '1', key);
    }
  });

  it('says what it could not set, why it matters and how to fix it', () => {
    const root = procSys('sys-none', {});
    const warnings = enableForwarding({ procSys: root });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /br_netfilter is not loaded.*modprobe br_netfilter/);
    assert.match(warnings[1]!, /cannot set net\.ipv4\.ip_forward=1 \(ENOENT\): pods cannot reach other nodes.*sysctl -w net\.ipv4\.ip_forward=1/);
  });
});
