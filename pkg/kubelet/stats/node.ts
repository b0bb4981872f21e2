/**
 * The node's own CPU and memory figures for /metrics/resource, as cAdvisor's root container
 * gives them to the kubelet: cumulative CPU of the root cgroup (cgroup v1 cpuacct.usage, or
 * v2 cpu.stat usage_usec), else the busy ticks of /proc/stat; the working set as MemTotal −
 * MemAvailable of /proc/meminfo (cAdvisor subtracts inactive file pages from the root's usage,
 * which comes to about the same and reads the same on cgroup v1 and v2).
 */
import fs from 'node:fs';

export interface NodeUsage {
  /** Core-seconds since boot. */
  cpuSeconds: number;
  memoryWorkingSetBytes: number;
}

/** Reads a host file, undefined when it does not exist or cannot be read. */
export type FileReader = (path: string) => string | undefined;

export const readHostFile: FileReader = (path) => {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** cgroup v1 mounts cpuacct alone or together with cpu, depending on the distribution. */
const CPUACCT_USAGE = ['/sys/fs/cgroup/cpuacct/cpuacct.usage', '/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage'];
const CGROUP2_CPU_STAT = '/sys/fs/cgroup/cpu.stat';
/** /proc/stat counts in USER_HZ, which Linux fixes at 100 for userspace on every architecture. */
const USER_HZ = 100;

function cgroupCpuSeconds(read: FileReader): number | undefined {
  for (const path of CPUACCT_USAGE) {
    const text = read(path)?.trim();
    if (text && /^\d+$/.test(text)) return Number(text) / 1e9;
  }
  const stat = read(CGROUP2_CPU_STAT);
  const usec = stat && /^usage_usec (\d+)$/m.exec(stat);
  return usec ? Number(usec[1]) / 1e6 : undefined;
}

function procStatCpuSeconds(read: FileReader): number | undefined {
  const line = read('/proc/stat')?.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait.
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>((sum, v) => sum + (Number.isFinite(v) ? v! : 0), 0);
  return busy / USER_HZ;
}

function memoryWorkingSet(read: FileReader): number | undefined {
  const text = read('/proc/meminfo');
  if (!text) return undefined;
  const kib = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = kib('MemTotal');
  const available = kib('MemAvailable');
  if (total === undefined || available === undefined) return undefined;
  return (total - available) * 1024;
}

/** The node's figures, or undefined for what the host does not show. */
export function readNodeUsage(read: FileReader = readHostFile): Partial<NodeUsage> {
  return { cpuSeconds: cgroupCpuSeconds(read) ?? procStatCpuSeconds(read), memoryWorkingSetBytes: memoryWorkingSet(read) };
}
