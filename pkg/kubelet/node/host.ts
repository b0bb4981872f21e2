/**
 * What this host is, as kubelet reports it in the Node's status: capacity (cpu from the CPUs
 * this process may use or a cgroup v2 cpu.max quota, memory from /proc/meminfo,
 * ephemeral-storage from statfs of the data dir), identity (kernel, os-release, machine-id,
 * product_uuid, boot_id), its address (the default route's interface) and the numbers the
 * pressure conditions are computed from.
 */
import fs from 'node:fs';
import os from 'node:os';

export const KIB = 1024;

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** /proc/meminfo field in bytes (it is written in kB, which are KiB). */
export function meminfo(field: string, text = readOr('/proc/meminfo', '')): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
  return m ? Number(m[1]) * KIB : undefined;
}

/** CPUs for pods: the affinity mask, lowered by a cgroup v2 quota (`max` means none). */
export function cpuCount(cpuMax = readOr('/sys/fs/cgroup/cpu.max', 'max')): number {
  const cpus = os.availableParallelism();
  const [quota, period] = cpuMax.split(/\s+/);
  if (!quota || quota === 'max' || !period) return cpus;
  return Math.max(1, Math.min(cpus, Math.ceil(Number(quota) / Number(period))));
}

export interface DiskUsage {
  capacityBytes: number;
  availableBytes: number;
}

export function diskUsage(dir: string): DiskUsage {
  const st = fs.statfsSync(dir);
  return { capacityBytes: st.blocks * st.bsize, availableBytes: st.bavail * st.bsize };
}

/** PRETTY_NAME of /etc/os-release (what `kubectl get nodes -o wide` shows as OS-IMAGE). */
export function osImage(text = readOr('/etc/os-release', '')): string {
  const m = /^PRETTY_NAME=("?)(.*)\1$/m.exec(text);
  return m?.[2] || 'Linux';
}

export interface HostIdentity {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
}

export function hostIdentity(): HostIdentity {
  const machineID = readOr('/etc/machine-id', readOr('/var/lib/dbus/machine-id', ''));
  return {
    machineID,
    // Readable by root only on most machines; virtual machines without DMI have none.
    systemUUID: readOr('/sys/class/dmi/id/product_uuid', machineID.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5')).toLowerCase(),
    bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
    kernelVersion: os.release(),
    osImage: osImage(),
  };
}

/** The interface of the IPv4 default route in /proc/net/route (destination 00000000). */
export function defaultRouteInterface(routes = readOr('/proc/net/route', '')): string | undefined {
  for (const line of routes.split('\n').slice(1)) {
    const [iface, destination, , flags] = line.trim().split(/\s+/);
    // Flag 0x1: the route is up.
    if (iface && destination === '00000000' && (parseInt(flags ?? '0', 16) & 1) === 1) return iface;
  }
  return undefined;
}

/**
 * The node's InternalIP when --node-ip is not given: the first IPv4 address of the default
 * route's interface, else the first non-loopback IPv4 address, else 127.0.0.1 (as k3s falls back).
 */
export function defaultNodeIp(interfaces = os.networkInterfaces(), routeIface = defaultRouteInterface()): string {
  const v4 = (list: os.NetworkInterfaceInfo[] | undefined) => list?.find((a) => a.family === 'IPv4' && !a.internal)?.address;
  if (routeIface) {
    const address = v4(interfaces[routeIface]);
    if (address) return address;
  }
  for (const list of Object.values(interfaces)) {
    const address = v4(list);
    if (address) return address;
  }
  return '127.0.0.1';
}

/** Huge pages reserved per size (`hugepages-2Mi` → bytes), from /sys/kernel/mm/hugepages. */
export function hugepages(root = '/sys/kernel/mm/hugepages'): Record<string, number> {
  const out: Record<string, number> = {};
  let dirs: string[];
  try {
    dirs = fs.readdirSync(root);
  } catch {
    return out;
  }
  for (const dir of dirs) {
    const m = /^hugepages-(\d+)kB$/.exec(dir);
    if (!m) continue;
    const kib = Number(m[1]);
    const name = kib % (1024 * 1024) === 0 ? `${kib / 1024 / 1024}Gi` : kib % 1024 === 0 ? `${kib / 1024}Mi` : `${kib}Ki`;
    out[`hugepages-${name}`] = Number(readOr(`${root}/${dir}/nr_hugepages`, '0')) * kib * KIB;
  }
  return out;
}
