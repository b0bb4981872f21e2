/**
 * Kernel settings a node's pod network relies on, set by the agent at start as k3s does:
 * forwarding, so pods reach beyond their node, and bridge netfilter, so traffic between two
 * pods on one bridge still passes the service proxy's iptables rules. These are per network
 * namespace: an agent in its own namespace sets its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { logger } from '../log/log.ts';

const log = logger('network');

export interface ForwardingOptions {
  /** Default /proc/sys (tests hand in a folder of their own). */
  procSys?: string;
  /** Also IPv6 forwarding, for an IPv6 podCIDR. */
  ipv6?: boolean;
}

interface Setting {
  key: string;
  /** What breaks when it cannot be set: the user's reason to fix it. */
  consequence: string;
}

/** Sets `key` to 1 unless it is already; a message when it could not be. */
function enable(procSys: string, setting: Setting): string | undefined {
  const file = path.join(procSys, ...setting.key.split('.'));
  try {
    if (fs.readFileSync(file, 'utf8').trim() === '1') return undefined;
    fs.writeFileSync(file, '1');
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return `cannot set ${setting.key}=1 (${code}): ${setting.consequence}; set it with: sysctl -w ${setting.key}=1`;
  }
}

/**
 * Turns on forwarding and bridge netfilter; returns (and logs as warnings) what could not be
 * set. Never throws: a node without them still runs pods that talk to their own node.
 */
export function enableForwarding(options: ForwardingOptions = {}): string[] {
  const procSys = options.procSys ?? '/proc/sys';
  const settings: Setting[] = [{ key: 'net.ipv4.ip_forward', consequence: 'pods cannot reach other nodes or the outside world' }];
  if (options.ipv6) settings.push({ key: 'net.ipv6.conf.all.forwarding', consequence: 'pods cannot reach other nodes or the outside world over IPv6' });
  const warnings: string[] = [];
  if (fs.existsSync(path.join(procSys, 'net', 'bridge'))) {
    const consequence = 'traffic between pods on this node bypasses Service rules';
    settings.push({ key: 'net.bridge.bridge-nf-call-iptables', consequence });
    if (options.ipv6) settings.push({ key: 'net.bridge.bridge-nf-call-ip6tables', consequence });
  } else {
    warnings.push('br_netfilter is not loaded (no net.bridge sysctls): traffic between pods on this node bypasses Service rules; load it with: modprobe br_netfilter');
  }
  for (const setting of settings) {
    const warning = enable(procSys, setting);
    if (warning) warnings.push(warning);
  }
  for (const warning of warnings) log.warn(warning);
  return warnings;
}
