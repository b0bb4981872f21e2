/**
 * What the agent needs from its host, each as one check with a verdict and, when it fails,
 * what to do. `missing` means the agent cannot run pods here; `warning` means it runs with a
 * part not working (or the check cannot tell).
 */
import fs from 'node:fs';
import path from 'node:path';
import { INSTALL_HINT } from '../containerd/ctr.ts';
import { isExecutable, readText, which, type HostView } from './host.ts';
import { KernelInfo, type FeatureState, type KernelFeature } from './kernel.ts';

export type CheckStatus = 'ok' | 'warning' | 'missing';

export interface CheckResult {
  status: CheckStatus;
  /** What was checked, e.g. "containerd" or "kernel: veth". */
  what: string;
  /** What was found. */
  detail: string;
  /** What to do about it (not for `ok`). */
  fix?: string;
}

export function checkUser(host: HostView): CheckResult[] {
  if (host.uid === 0) return [{ status: 'ok', what: 'user', detail: 'root' }];
  return [{ status: 'warning', what: 'user', detail: `uid ${host.uid}, not root: some checks may see less than the agent would`, fix: 'run the agent (and this check) as root' }];
}

/** The controllers kubelet and runc need for pods' limits; cpuset only for CPU pinning. */
const CGROUP_CONTROLLERS: { name: string; required: boolean }[] = [
  { name: 'cpu', required: true },
  { name: 'memory', required: true },
  { name: 'pids', required: true },
  { name: 'cpuset', required: false },
];

export function checkCgroups(host: HostView): CheckResult[] {
  const v2 = readText(path.join(host.sys, 'fs', 'cgroup', 'cgroup.controllers'));
  let version: string;
  let enabled: string[];
  if (v2 !== undefined) {
    version = 'v2';
    enabled = v2.trim().split(/\s+/).filter(Boolean);
  } else {
    const table = readText(path.join(host.proc, 'cgroups'));
    if (table === undefined) {
      return [{ status: 'missing', what: 'cgroups', detail: `neither ${host.sys}/fs/cgroup/cgroup.controllers (v2) nor ${host.proc}/cgroups (v1) exists`, fix: 'use a kernel with cgroups and mount them at /sys/fs/cgroup' }];
    }
    version = 'v1';
    // name, hierarchy, count, enabled: hierarchy 0 means not mounted as a v1 hierarchy.
    enabled = table.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.split(/\s+/)).filter((f) => f.length >= 4 && f[1] !== '0' && f[3] === '1').map((f) => f[0]!);
  }
  const results: CheckResult[] = [{ status: 'ok', what: 'cgroups', detail: `${version} (${enabled.join(', ') || 'no controllers'})` }];
  for (const { name, required } of CGROUP_CONTROLLERS) {
    const what = `cgroup controller ${name}`;
    if (enabled.includes(name)) results.push({ status: 'ok', what, detail: 'enabled' });
    else {
      const fix = name === 'memory' ? 'enable it on the kernel command line: cgroup_enable=memory cgroup_memory=1 (Raspberry Pi OS: /boot/cmdline.txt), then reboot' : `enable the ${name} controller in the kernel or on its command line`;
      results.push({ status: required ? 'missing' : 'warning', what, detail: required ? 'not enabled: pod limits cannot be applied' : 'not enabled: no CPU pinning', fix });
    }
  }
  return results;
}

interface FeatureCheck extends KernelFeature {
  what: string;
  required: boolean;
  /** What breaks without it (said when it is absent). */
  without: string;
  /** Must be loaded before use: nothing loads it on demand. */
  loadFirst?: boolean;
  /** Another sign that it is there, for kernels that publish no config. */
  present?: (host: HostView) => boolean;
}

const KERNEL_FEATURES: FeatureCheck[] = [
  {
    what: 'overlay', config: 'CONFIG_OVERLAY_FS', module: 'overlay', required: false, without: 'containerd falls back to the native snapshotter (slower, more disk)',
    present: (h) => /\boverlay\b/.test(readText(path.join(h.proc, 'filesystems')) ?? ''),
  },
  { what: 'bridge', config: 'CONFIG_BRIDGE', module: 'bridge', required: true, without: 'the pod network (CNI bridge) cannot be made' },
  { what: 'veth', config: 'CONFIG_VETH', module: 'veth', required: true, without: 'pods cannot be connected to the bridge' },
  {
    what: 'br_netfilter', config: 'CONFIG_BRIDGE_NETFILTER', module: 'br_netfilter', required: false, loadFirst: true, without: 'traffic between pods on one node bypasses Service rules',
    present: (h) => fs.existsSync(path.join(h.proc, 'sys', 'net', 'bridge')),
  },
  { what: 'netfilter conntrack', config: 'CONFIG_NF_CONNTRACK', module: 'nf_conntrack', required: true, without: 'no NAT, no Services' },
  { what: 'netfilter NAT', config: 'CONFIG_NF_NAT', module: 'nf_nat', required: true, without: 'no masquerading, hostPorts or Services' },
  { what: 'vxlan', config: 'CONFIG_VXLAN', module: 'vxlan', required: false, without: 'no VXLAN pod network between nodes on different L2 segments' },
];

/** iptables' matches and targets the rules use: the CNI plugins' (portmap), the service proxy's, NetworkPolicy's, the masquerade. */
const XT_EXTENSIONS: KernelFeature[] = [
  { config: 'CONFIG_NETFILTER_XT_MATCH_STATISTIC', module: 'xt_statistic' },
  { config: 'CONFIG_NETFILTER_XT_MATCH_RECENT', module: 'xt_recent' },
  { config: 'CONFIG_NETFILTER_XT_MATCH_CONNTRACK', module: 'xt_conntrack' },
  { config: 'CONFIG_NETFILTER_XT_MATCH_COMMENT', module: 'xt_comment' },
  { config: 'CONFIG_NETFILTER_XT_MATCH_ADDRTYPE', module: 'xt_addrtype' },
  { config: 'CONFIG_NETFILTER_XT_MATCH_MULTIPORT', module: 'xt_multiport' },
  { config: 'CONFIG_NETFILTER_XT_MARK', module: 'xt_mark' },
  { config: 'CONFIG_NETFILTER_XT_TARGET_MASQUERADE', module: 'xt_MASQUERADE' },
];

const usable = (state: FeatureState) => state === 'builtin' || state === 'loaded' || state === 'module';

function describeState(state: FeatureState, kernel: KernelInfo): string {
  switch (state) {
    case 'builtin': return 'built into the kernel';
    case 'loaded': return 'loaded';
    case 'module': return 'available as a module';
    case 'absent': return `not in this kernel (${kernel.configSource})`;
    case 'unknown': return 'cannot tell: no kernel config (/proc/config.gz, /boot/config-<release>) or module list to read';
  }
}

function featureResult(check: FeatureCheck, state: FeatureState, kernel: KernelInfo): CheckResult {
  const what = `kernel: ${check.what}`;
  const detail = describeState(state, kernel);
  if (state === 'builtin' || state === 'loaded') return { status: 'ok', what, detail };
  if (state === 'module') {
    if (!check.loadFirst) return { status: 'ok', what, detail: `${detail}, loaded on use` };
    return { status: 'warning', what, detail: `${detail}, not loaded: ${check.without}`, fix: `modprobe ${check.module} (and list it in /etc/modules-load.d/)` };
  }
  const status = state === 'absent' && check.required ? 'missing' : 'warning';
  return { status, what, detail: `${detail}: ${check.without}`, fix: `use a kernel with ${check.config}` };
}

/** iptables-nft needs nf_tables, iptables-legacy needs ip_tables: either will do. */
function checkPacketFilter(kernel: KernelInfo): CheckResult {
  const what = 'kernel: iptables or nftables';
  const iptables = kernel.feature({ config: 'CONFIG_IP_NF_IPTABLES', module: 'ip_tables' });
  const nftables = kernel.feature({ config: 'CONFIG_NF_TABLES', module: 'nf_tables' });
  const detail = `ip_tables ${describeState(iptables, kernel)}; nf_tables ${describeState(nftables, kernel)}`;
  if (usable(iptables) || usable(nftables)) return { status: 'ok', what, detail };
  const status = iptables === 'absent' && nftables === 'absent' ? 'missing' : 'warning';
  return { status, what, detail: `${detail}: no masquerading, hostPorts or Services`, fix: 'use a kernel with CONFIG_NF_TABLES or CONFIG_IP_NF_IPTABLES' };
}

export function checkKernel(host: HostView): CheckResult[] {
  const kernel = new KernelInfo(host);
  const namespaces = ['mnt', 'net', 'pid', 'ipc', 'uts'].filter((ns) => !fs.existsSync(path.join(host.proc, 'self', 'ns', ns)));
  const results: CheckResult[] = [
    namespaces.length === 0
      ? { status: 'ok', what: 'kernel: namespaces', detail: 'mnt, net, pid, ipc, uts' }
      : { status: 'missing', what: 'kernel: namespaces', detail: `no ${namespaces.join(', ')} namespaces: containers cannot be isolated`, fix: 'use a kernel with CONFIG_NAMESPACES and its *_NS options' },
  ];
  for (const check of KERNEL_FEATURES) {
    const state = check.present?.(host) ? 'loaded' : kernel.feature(check);
    results.push(featureResult(check, state, kernel));
  }
  results.push(checkPacketFilter(kernel));
  const lacking = XT_EXTENSIONS.filter((x) => kernel.feature(x) === 'absent').map((x) => x.module);
  results.push(lacking.length === 0
    ? { status: 'ok', what: 'kernel: iptables extensions', detail: kernel.config ? 'statistic, recent, conntrack, comment, addrtype, multiport, mark, MASQUERADE' : 'not checked (no kernel config)' }
    : { status: 'missing', what: 'kernel: iptables extensions', detail: `${lacking.join(', ')} not in this kernel: the service proxy's or the CNI plugins' rules fail`, fix: 'use a kernel with the NETFILTER_XT options for them' });
  return results;
}

const APT_IPTABLES = 'apt-get install iptables';

/** The binaries, as the agent finds them (its PATH, then the system dirs). */
export function checkBinaries(host: HostView): CheckResult[] {
  const binaries: { name: string; required: boolean; why: string; fix: string }[] = [
    { name: 'containerd', required: true, why: 'the container runtime the agent runs', fix: INSTALL_HINT },
    { name: 'containerd-shim-runc-v2', required: true, why: 'containerd starts every pod through it', fix: INSTALL_HINT },
    { name: 'runc', required: true, why: 'runs the containers', fix: INSTALL_HINT },
    { name: 'ctr', required: true, why: 'the agent imports images with it', fix: INSTALL_HINT },
    { name: 'iptables', required: true, why: 'the CNI plugins write hostPort rules with it', fix: APT_IPTABLES },
    { name: 'iptables-restore', required: true, why: 'the service proxy, NetworkPolicy and the masquerade write their rules with it', fix: APT_IPTABLES },
    { name: 'ip', required: true, why: 'the agent makes the pod bridge, the VXLAN device and the routes to other nodes with it', fix: 'apt-get install iproute2' },
    { name: 'conntrack', required: false, why: 'the service proxy clears UDP flows of removed endpoints with it (else they age out in 30-120 s)', fix: 'apt-get install conntrack' },
  ];
  return binaries.map(({ name, required, why, fix }) => {
    const found = which(host, name);
    if (found) return { status: 'ok', what: name, detail: found };
    return { status: required ? 'missing' : 'warning', what: name, detail: `not found in ${host.searchPath}: ${why}`, fix };
  });
}

/** The plugins tsk's conflist chains (pkg/network/cni.ts), plus loopback, which containerd runs itself. */
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap', 'bandwidth'];

export function checkCniPlugins(host: HostView): CheckResult[] {
  return CNI_PLUGINS.map((plugin) => {
    const file = path.join(host.cniBinDir, plugin);
    if (isExecutable(file)) return { status: 'ok', what: `CNI plugin ${plugin}`, detail: file };
    return { status: 'missing', what: `CNI plugin ${plugin}`, detail: `no executable ${file}: pods cannot get a network`, fix: INSTALL_HINT };
  });
}

export function checkForwarding(host: HostView): CheckResult[] {
  const value = readText(path.join(host.proc, 'sys', 'net', 'ipv4', 'ip_forward'))?.trim();
  const what = 'net.ipv4.ip_forward';
  if (value === '1') return [{ status: 'ok', what, detail: 'on' }];
  const detail = value === undefined ? 'cannot be read' : 'off';
  return [{ status: 'warning', what, detail: `${detail}: the agent turns it on when it starts; pods cannot leave the node without it`, fix: 'sysctl -w net.ipv4.ip_forward=1' }];
}

export function runChecks(host: HostView): CheckResult[] {
  return [checkUser, checkCgroups, checkKernel, checkBinaries, checkCniPlugins, checkForwarding].flatMap((check) => check(host));
}
