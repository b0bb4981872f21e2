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
 * Only the namespace and the host end of its veth are ever created or deleted: the host's
 * own interfaces and routes are left alone. remove() runs on failures too (and at process
 * exit, for a test that died half way).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { Netns } from '../../pkg/network/testkit.ts';
import { startTsk, TSK_BIN, type TskProcess } from './tsk.ts';

const IP = '/usr/sbin/ip';
const NSENTER = '/usr/bin/nsenter';
const PREFIX = '10.250';

export interface TestNetns {
  name: string;
  /** The host end of the veth: where the namespace reaches the host (the API server binds here). */
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

/** A third octet whose 10.250.X.0/30 no address or route of the host uses yet. */
function freeSubnet(): number {
  const taken = execFileSync(IP, ['-4', '-o', 'addr'], { encoding: 'utf8' }) + execFileSync(IP, ['-4', 'route'], { encoding: 'utf8' });
  // Starting from the PID keeps concurrent test runs on different subnets.
  for (let i = 0; i < 250; i++) {
    const octet = ((process.pid + i) % 250) + 1;
    if (!taken.includes(`${PREFIX}.${octet}.`)) return octet;
  }
  throw new Error(`no free ${PREFIX}.X.0/30 subnet on this host`);
}

export function createTestNetns(): TestNetns {
  const netns = Netns.create('tsk-join');
  // Interface names are at most 15 bytes: the namespace's random suffix keeps them apart.
  const hostVeth = `tskv${netns.name.slice(-6)}`;
  const octet = freeSubnet();
  const hostIp = `${PREFIX}.${octet}.1`;
  const nsIp = `${PREFIX}.${octet}.2`;
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
  try {
    execFileSync(IP, ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns.name]);
    execFileSync(IP, ['addr', 'add', `${hostIp}/30`, 'dev', hostVeth]);
    execFileSync(IP, ['link', 'set', hostVeth, 'up']);
    execFileSync(IP, ['-n', netns.name, 'addr', 'add', `${nsIp}/30`, 'dev', 'eth0']);
    execFileSync(IP, ['-n', netns.name, 'link', 'set', 'eth0', 'up']);
    execFileSync(IP, ['-n', netns.name, 'route', 'add', 'default', 'via', hostIp]);
  } catch (err) {
    remove();
    throw err;
  }
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
