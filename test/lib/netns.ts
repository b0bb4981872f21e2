/**
 * A second machine for end-to-end tests of joining nodes: a network namespace made by the
 * test, joined to the host by a veth pair (host 10.250.X.1/30, namespace 10.250.X.2/30, its
 * loopback up, its default route through the host side). Processes started in it see only its
 * interfaces, so an agent run there has its own address, its own ports (kubelet, containerd's
 * streaming server) and its own CNI bridge and iptables rules.
 *
 * tsk is started with `nsenter --net`, not `ip netns exec`: the latter also gives the process
 * a mount namespace with a fresh /sys for the network namespace, which has no /sys/fs/cgroup
 * mounts, and runc then fails every container ("no cgroup mount found in mountinfo"). With
 * nsenter the agent shares the host's mounts, as the server's embedded agent does, so what
 * containerd mounts under the agent's data dir must be unmounted by whoever cleans up.
 *
 * With a TestSegment (createTestSegment) the namespaces share one L2 segment instead: their
 * veths hang on one host bridge (host 10.250.X.1/24, namespaces .2, .3, …), as machines on one
 * switch, which host-gw routing needs; without one, each namespace is on a /30 of its own and
 * namespaces reach each other only through the host's routing, as machines on different subnets.
 *
 * Only the namespace, the host end of its veth and the test's bridge are ever created or
 * deleted: the host's own interfaces and routes are left alone. remove() runs on failures too
 * (and at process exit, for a test that died half way).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Netns } from '../../pkg/network/testkit.ts';
import { startTsk, TSK_BIN, type TskProcess } from './tsk.ts';

const IP = '/usr/sbin/ip';
const NSENTER = '/usr/bin/nsenter';
const PREFIX = '10.250';

export interface TestNetns {
  name: string;
  /** The host end of the veth, or the segment's bridge: where the namespace reaches the host (the API server binds here). */
  hostIp: string;
  /** The namespace's own address: the joined node's --node-ip. */
  nsIp: string;
  /** Runs a command inside and returns its stdout; throws with its stderr when it fails. */
  exec(command: string, args: string[]): string;
  /** The real dist/tsk started inside (nsenter execs it, so the PID is tsk's own). */
  startTsk(args: string[]): TskProcess;
  /** True when process `pid` lives in this namespace. */
  holds(pid: number): boolean;
  /** Deletes the namespace (its end of the veth goes with it) and the host end. Idempotent. */
  remove(): void;
}

/** A third octet whose 10.250.X.0/24 no address or route of the host uses yet. */
function freeSubnet(): number {
  const taken = execFileSync(IP, ['-4', '-o', 'addr'], { encoding: 'utf8' }) + execFileSync(IP, ['-4', 'route'], { encoding: 'utf8' });
  // Starting from the PID keeps concurrent test runs on different subnets.
  for (let i = 0; i < 250; i++) {
    const octet = ((process.pid + i) % 250) + 1;
    if (!taken.includes(`${PREFIX}.${octet}.`)) return octet;
  }
  throw new Error(`no free ${PREFIX}.X.0 subnet on this host`);
}

/** Runs `steps`; on a failure runs `remove` and rethrows. */
function orRemove(remove: () => void, steps: () => void): void {
  try {
    steps();
  } catch (err) {
    remove();
    throw err;
  }
}

/** One L2 segment on the host (a bridge holding 10.250.X.1/24) that namespaces can join. */
export interface TestSegment {
  /** The host bridge. */
  name: string;
  /** The bridge's address: where the namespaces reach the host (the API server binds here). */
  hostIp: string;
  /** Deletes the bridge (after the namespaces on it). Idempotent. */
  remove(): void;
}

/** Per segment, the last host number handed to a namespace. */
const lastHost = new WeakMap<TestSegment, number>();

export function createTestSegment(): TestSegment {
  const name = `tskbr${randomBytes(3).toString('hex')}`;
  const octet = freeSubnet();
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    spawnSync(IP, ['link', 'del', name]);
  };
  process.once('exit', remove);
  orRemove(remove, () => {
    execFileSync(IP, ['link', 'add', name, 'type', 'bridge']);
    execFileSync(IP, ['addr', 'add', `${PREFIX}.${octet}.1/24`, 'dev', name]);
    execFileSync(IP, ['link', 'set', name, 'up']);
  });
  const segment = { name, hostIp: `${PREFIX}.${octet}.1`, remove };
  lastHost.set(segment, 1);
  return segment;
}

export interface TestNetnsOptions {
  /** Join this segment rather than a /30 of its own. */
  segment?: TestSegment;
}

export function createTestNetns(options: TestNetnsOptions = {}): TestNetns {
  const netns = Netns.create('tsk-join');
  // Interface names are at most 15 bytes: the namespace's random suffix keeps them apart.
  const hostVeth = `tskv${netns.name.slice(-6)}`;
  const { segment } = options;
  let hostIp: string;
  let nsIp: string;
  let prefixLength: number;
  if (segment) {
    const host = lastHost.get(segment)! + 1;
    lastHost.set(segment, host);
    hostIp = segment.hostIp;
    nsIp = hostIp.replace(/\.1$/, `.${host}`);
    prefixLength = 24;
  } else {
    const octet = freeSubnet();
    hostIp = `${PREFIX}.${octet}.1`;
    nsIp = `${PREFIX}.${octet}.2`;
    prefixLength = 30;
  }
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    spawnSync(IP, ['netns', 'del', netns.name]);
    // Gone with its peer already, unless the peer never reached the namespace.
    spawnSync(IP, ['link', 'del', hostVeth]);
  };
  process.once('exit', remove);
  orRemove(remove, () => {
    execFileSync(IP, ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns.name]);
    if (segment) execFileSync(IP, ['link', 'set', hostVeth, 'master', segment.name]);
    else execFileSync(IP, ['addr', 'add', `${hostIp}/30`, 'dev', hostVeth]);
    execFileSync(IP, ['link', 'set', hostVeth, 'up']);
    execFileSync(IP, ['-n', netns.name, 'addr', 'add', `${nsIp}/${prefixLength}`, 'dev', 'eth0']);
    execFileSync(IP, ['-n', netns.name, 'link', 'set', 'eth0', 'up']);
    execFileSync(IP, ['-n', netns.name, 'route', 'add', 'default', 'via', hostIp]);
  });
  return {
    name: netns.name,
    hostIp,
    nsIp,
    exec: (command, args) => netns.exec(command, args),
    startTsk: (args) => startTsk([`--net=${netns.path}`, '--', TSK_BIN, ...args], { bin: NSENTER }),
    holds: (pid) => fs.readlinkSync(`/proc/${pid}/ns/net`) === `net:[${fs.statSync(netns.path).ino}]`,
    remove,
  };
}
