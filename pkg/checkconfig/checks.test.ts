/**
 * check-config on made-up hosts (folders laid out like /proc, /sys, /boot…): a good cgroup v2
 * host, one lacking pieces, and one whose kernel says nothing about itself.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, describe, it } from 'node:test';
import type { CheckResult } from './checks.ts';
import { runChecks } from './checks.ts';
import type { HostView } from './host.ts';
import { formatResult, runCheckConfig } from './run.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-checkconfig-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BINARIES = ['containerd', 'containerd-shim-runc-v2', 'runc', 'ctr', 'iptables', 'iptables-restore', 'ip', 'conntrack'];
const PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap', 'bandwidth'];
const GOOD_CONFIG = [
  'CONFIG_OVERLAY_FS=m', 'CONFIG_BRIDGE=y', 'CONFIG_VETH=m', 'CONFIG_BRIDGE_NETFILTER=y', 'CONFIG_NF_CONNTRACK=y', 'CONFIG_NF_NAT=y',
  'CONFIG_VXLAN=m', 'CONFIG_NF_TABLES=y', '# CONFIG_IP_NF_IPTABLES is not set', 'CONFIG_NETFILTER_XT_MATCH_COMMENT=y',
  'CONFIG_NETFILTER_XT_MATCH_ADDRTYPE=y', 'CONFIG_NETFILTER_XT_MATCH_MULTIPORT=y', 'CONFIG_NETFILTER_XT_MARK=y', 'CONFIG_NETFILTER_XT_TARGET_MASQUERADE=m',
  'CONFIG_NETFILTER_XT_MATCH_STATISTIC=m', 'CONFIG_NETFILTER_XT_MATCH_RECENT=m', 'CONFIG_NETFILTER_XT_MATCH_CONNTRACK=y',
].join('\n');

interface FakeHost {
  files?: Record<string, string | Buffer>;
  binaries?: string[];
  plugins?: string[];
  uid?: number;
}

/** A host folder: `files` relative to its root (proc/…, sys/…, boot/…), executables in bin/ and cni/. */
function fakeHost(name: string, spec: FakeHost): HostView {
  const root = path.join(tmp, name);
  const write = (rel: string, data: string | Buffer, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data, { mode });
  };
  for (const [rel, data] of Object.entries(spec.files ?? {})) write(rel, data);
  for (const ns of ['mnt', 'net', 'pid', 'ipc', 'uts']) write(`proc/self/ns/${ns}`, '');
  for (const bin of spec.binaries ?? BINARIES) write(`bin/${bin}`, '#!/bin/sh\n', 0o755);
  for (const plugin of spec.plugins ?? PLUGINS) write(`cni/${plugin}`, '#!/bin/sh\n', 0o755);
  return {
    proc: path.join(root, 'proc'), sys: path.join(root, 'sys'), boot: path.join(root, 'boot'), libModules: path.join(root, 'lib', 'modules'),
    cniBinDir: path.join(root, 'cni'), searchPath: `${path.join(root, 'nothing-here')}:${path.join(root, 'bin')}`,
    uid: spec.uid ?? 0, kernelRelease: '6.1.0-test',
  };
}

const byWhat = (results: CheckResult[]) => new Map(results.map((r) => [r.what, r]));

describe('check-config', () => {
  it('passes a cgroup v2 host with what the agent needs, from a config in /boot', async () => {
    const host = fakeHost('good', {
      files: {
        'sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma\n',
        'boot/config-6.1.0-test': `${GOOD_CONFIG}\n`,
        'proc/sys/net/ipv4/ip_forward': '1\n',
      },
    });
    const results = runChecks(host);
    assert.deepEqual(results.filter((r) => r.status !== 'ok'), []);
    const checks = byWhat(results);
    assert.equal(checks.get('cgroups')?.detail, 'v2 (cpuset, cpu, io, memory, hugetlb, pids, rdma)');
    assert.equal(checks.get('kernel: veth')?.detail, 'available as a module, loaded on use');
    assert.match(checks.get('kernel: iptables or nftables')!.detail, /nf_tables built into the kernel/);
    assert.equal(checks.get('containerd')?.detail, path.join(tmp, 'good', 'bin', 'containerd'));
    let out = '';
    assert.equal(await runCheckConfig((t) => (out += t), host), 0);
    assert.equal(out.split('\n').filter((l) => l.startsWith('ok      ')).length, results.length);
    assert.match(out, /\n0 missing, 0 warnings: this host can run the agent\n$/);
  });

  it('names what is missing and what to do, and exits 1', async () => {
    const host = fakeHost('lacking', {
      files: {
        'proc/cgroups': '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t2\t1\t1\ncpuset\t3\t1\t1\nmemory\t0\t1\t0\npids\t4\t1\t1\n',
        'proc/config.gz': zlib.gzipSync(`${GOOD_CONFIG.replace('CONFIG_VETH=m', '# CONFIG_VETH is not set').replace('CONFIG_BRIDGE_NETFILTER=y', 'CONFIG_BRIDGE_NETFILTER=m')}\n`),
        'proc/modules': 'overlay 151552 0 - Live 0x0000000000000000\n',
        'proc/sys/net/ipv4/ip_forward': '0\n',
        // There, but not executable: not a containerd the agent could start.
        'bin/containerd': '',
      },
      binaries: ['runc', 'ctr', 'iptables'],
      plugins: ['bridge', 'host-local', 'loopback', 'bandwidth'],
      uid: 1000,
    });
    const checks = byWhat(runChecks(host));
    const status = (what: string) => checks.get(what)?.status;
    assert.equal(status('user'), 'warning');
    assert.equal(checks.get('cgroups')?.detail, 'v1 (cpu, cpuset, pids)');
    assert.equal(status('cgroup controller memory'), 'missing');
    assert.match(checks.get('cgroup controller memory')!.fix!, /cgroup_enable=memory cgroup_memory=1/);
    assert.equal(status('kernel: overlay'), 'ok');
    assert.equal(checks.get('kernel: overlay')?.detail, 'loaded');
    assert.equal(status('kernel: veth'), 'missing');
    assert.match(checks.get('kernel: veth')!.detail, /^not in this kernel \(.*config\.gz\): pods cannot be connected/);
    assert.equal(status('kernel: br_netfilter'), 'warning');
    assert.match(checks.get('kernel: br_netfilter')!.fix!, /^modprobe br_netfilter/);
    assert.equal(status('containerd'), 'missing');
    assert.equal(checks.get('containerd')?.fix, 'apt-get install containerd runc containernetworking-plugins');
    assert.equal(status('containerd-shim-runc-v2'), 'missing');
    assert.equal(status('conntrack'), 'warning', 'optional: stale UDP flows age out without it');
    assert.equal(status('iptables-restore'), 'missing');
    assert.equal(status('runc'), 'ok');
    assert.equal(status('CNI plugin portmap'), 'missing');
    assert.equal(status('CNI plugin bridge'), 'ok');
    assert.equal(status('net.ipv4.ip_forward'), 'warning');
    let out = '';
    assert.equal(await runCheckConfig((t) => (out += t), host), 1);
    assert.match(out, /^missing containerd: not found in \S+: the container runtime the agent runs -> apt-get install containerd runc containernetworking-plugins$/m);
    assert.match(out, /\n7 missing, 4 warnings: the agent cannot run pods on this host until the missing parts are fixed\n$/);
  });

  it('says it cannot tell, rather than missing, when the kernel publishes nothing', () => {
    const host = fakeHost('silent', { files: { 'sys/fs/cgroup/cgroup.controllers': 'cpu memory pids\n', 'proc/sys/net/ipv4/ip_forward': '1\n' } });
    const results = runChecks(host);
    assert.deepEqual(results.filter((r) => r.status === 'missing'), []);
    const veth = byWhat(results).get('kernel: veth')!;
    assert.equal(veth.status, 'warning');
    assert.match(formatResult(veth), /^warning kernel: veth: cannot tell: no kernel config/);
    assert.equal(byWhat(results).get('cgroup controller cpuset')?.status, 'warning');
  });

  it('finds modules in /lib/modules and loaded ones in /sys/module without a config', () => {
    const host = fakeHost('modules', {
      files: {
        'sys/fs/cgroup/cgroup.controllers': 'cpu memory pids\n',
        'lib/modules/6.1.0-test/modules.dep': 'kernel/drivers/net/veth.ko.xz:\nkernel/net/bridge/br_netfilter.ko.zst: kernel/net/bridge/bridge.ko.zst\n',
        'lib/modules/6.1.0-test/modules.builtin': 'kernel/net/netfilter/nf_conntrack.ko\n',
        'sys/module/bridge/uevent': '',
      },
    });
    const checks = byWhat(runChecks(host));
    assert.equal(checks.get('kernel: veth')?.detail, 'available as a module, loaded on use');
    assert.equal(checks.get('kernel: bridge')?.detail, 'loaded');
    assert.equal(checks.get('kernel: netfilter conntrack')?.detail, 'built into the kernel');
    assert.equal(checks.get('kernel: br_netfilter')?.status, 'warning');
    assert.equal(checks.get('kernel: netfilter NAT')?.status, 'warning');
  });
});
