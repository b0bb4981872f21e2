/**
 * For tests: network namespaces made and removed by the test, and a conflist driven through
 * the CNI protocol by hand, as libcni does for containerd (plugins in order for ADD with each
 * one's result as the next one's prevResult; reverse order for DEL with the cached result;
 * runtimeConfig only for the capabilities a plugin declares). Everything runs inside a
 * namespace of the test's, never on the machine's own interfaces.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CNI_BIN_DIR } from '../containerd/config.ts';
import type { CniConfigList } from './cni.ts';

/** Why a test with real namespaces and plugins cannot run here, or false. */
export const cniMissing: string | false =
  process.getuid?.() !== 0 ? 'needs root' : !fs.existsSync(path.join(DEFAULT_CNI_BIN_DIR, 'bridge')) ? 'CNI plugins not installed' : false;

/** A named network namespace (`ip netns add`), deleted with everything in it by `remove`. */
export class Netns {
  readonly path: string;

  private constructor(readonly name: string) {
    this.path = `/run/netns/${name}`;
  }

  /** A fresh namespace with its loopback up; the name gets a random suffix. */
  static create(prefix: string): Netns {
    const netns = new Netns(`${prefix}-${randomBytes(3).toString('hex')}`);
    execFileSync('ip', ['netns', 'add', netns.name]);
    execFileSync('ip', ['-n', netns.name, 'link', 'set', 'lo', 'up']);
    return netns;
  }

  /** Runs a command inside (killed after 30 s); throws with its stderr when it fails. */
  exec(command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
    return execFileSync('ip', ['netns', 'exec', this.name, command, ...args], {
      encoding: 'utf8', input: options.input, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000,
    });
  }

  /** A long-running command inside (a server): the caller kills it by PID. */
  spawn(command: string, args: string[]): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.name, command, ...args], { stdio: 'ignore' });
  }

  remove(): void {
    execFileSync('ip', ['netns', 'del', this.name]);
  }
}

export interface CniIp {
  address: string;
  gateway?: string;
  interface?: number;
}

/** The parts of a CNI 1.0 result the tests look at. */
export interface CniResult {
  cniVersion: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: CniIp[];
  routes?: { dst: string; gw?: string }[];
}

export interface CniInvocation {
  /** The pod's namespace (CNI_NETNS). */
  pod: Netns;
  /** Where the plugins run: the node's side of the network. */
  host: Netns;
  containerId: string;
  ifName?: string;
  binDir?: string;
  /** Capability arguments (portMappings, bandwidth), as containerd passes them. */
  runtimeConfig?: Record<string, unknown>;
}

function runPlugin(command: 'ADD' | 'DEL', plugin: Record<string, unknown>, list: CniConfigList, call: CniInvocation, prevResult: CniResult | undefined): CniResult | undefined {
  const binDir = call.binDir ?? DEFAULT_CNI_BIN_DIR;
  const declared = (plugin.capabilities ?? {}) as Record<string, boolean>;
  const runtimeConfig = Object.fromEntries(Object.entries(call.runtimeConfig ?? {}).filter(([key]) => declared[key]));
  const { capabilities: _capabilities, ...rest } = plugin;
  const config = {
    ...rest,
    cniVersion: list.cniVersion,
    name: list.name,
    ...(Object.keys(runtimeConfig).length > 0 ? { runtimeConfig } : {}),
    ...(prevResult ? { prevResult } : {}),
  };
  const env = {
    PATH: process.env.PATH,
    CNI_COMMAND: command,
    CNI_CONTAINERID: call.containerId,
    CNI_NETNS: call.pod.path,
    CNI_IFNAME: call.ifName ?? 'eth0',
    CNI_PATH: binDir,
  };
  try {
    const out = call.host.exec(path.join(binDir, String(plugin.type)), [], { input: JSON.stringify(config), env });
    return out.trim() ? (JSON.parse(out) as CniResult) : undefined;
  } catch (err) {
    // Plugins report failures as a JSON error on stdout.
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`CNI ${command} ${String(plugin.type)} failed: ${e.stdout || e.stderr || e.message}`);
  }
}

/** ADD through the whole list; the last plugin's result is the network's result. */
export function cniAdd(list: CniConfigList, call: CniInvocation): CniResult {
  let result: CniResult | undefined;
  for (const plugin of list.plugins) result = runPlugin('ADD', plugin, list, call, result);
  if (!result) throw new Error('CNI ADD returned no result');
  return result;
}

/** DEL in reverse order, each plugin given the ADD's result. */
export function cniDel(list: CniConfigList, call: CniInvocation, added: CniResult): void {
  for (const plugin of [...list.plugins].reverse()) runPlugin('DEL', plugin, list, call, added);
}

/** portmap's top-level nat chains, which it creates on first use and never removes (by design). */
const PORTMAP_JUMPS = [
  ['PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT'],
  ['OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT'],
  ['POSTROUTING', '-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ'],
];
const PORTMAP_CHAINS = ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK'];

/** Whether this namespace's nat table has portmap's chains (before a test that may add them). */
export function portmapChainsPresent(): boolean {
  return execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).includes(':CNI-HOSTPORT-DNAT ');
}

/** Removes portmap's chains and the jumps to them, for a test that added them where it runs. */
export function removePortmapChains(): void {
  const iptables = (args: string[]) => {
    try {
      execFileSync('iptables', ['-t', 'nat', ...args], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  for (const jump of PORTMAP_JUMPS) iptables(['-D', ...jump]);
  for (const chain of PORTMAP_CHAINS) iptables(['-F', chain]);
  for (const chain of PORTMAP_CHAINS) iptables(['-X', chain]);
}
