/**
 * The node's pod network as containerd's CRI plugin sees it: one CNI conflist in the agent's
 * conf dir. A Linux bridge per node with the node's podCIDR handed out by host-local, then
 * portmap (hostPort) and bandwidth (traffic shaping annotations), as k3s's flannel conflist
 * chains them. Until the file exists containerd fails every non-hostNetwork sandbox with
 * "cni config uninitialized", so the agent writes it once the Node has a podCIDR.
 *
 * All state stays under the agent's data dir (IPAM leases included, not /var/lib/cni), so two
 * agents on one machine, each in its own network namespace, never share addresses.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NetworkError } from './errors.ts';
import { gatewayOf, parseCidr } from './cidr.ts';

/** Named like k3s's 10-flannel.conflist; containerd loads the first conf file by name. */
export const CNI_CONFIG_FILE = '10-tsk.conflist';
/** The network's name in the conflist: containerd and the plugins key their state on it. */
export const CNI_NETWORK_NAME = 'tsk';
/** k3s's bridge is cni0; ours has its own name so both can live on one host. */
export const DEFAULT_BRIDGE_NAME = 'tsk0';
/** Debian's containernetworking-plugins 1.1 speaks 0.1.0 to 1.0.0 (CNI_COMMAND=VERSION). */
export const CNI_VERSION = '1.0.0';

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no '/', no white space. */
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

export interface CniPaths {
  /** containerd's CRI conf_dir: DATA_DIR/agent/etc/cni/net.d (pkg/containerd/config.ts's default). */
  confDir: string;
  /** host-local's lease files, one folder per network name. */
  ipamDataDir: string;
}

/** Where an agent keeps its CNI state, from DATA_DIR/agent. */
export function cniPaths(agentDir: string): CniPaths {
  return {
    confDir: path.join(agentDir, 'etc', 'cni', 'net.d'),
    ipamDataDir: path.join(agentDir, 'cni', 'networks'),
  };
}

export interface CniConfigOptions {
  confDir: string;
  /** The Node's spec.podCIDR (see waitForPodCidr), IPv4 or IPv6. */
  podCidr: string;
  ipamDataDir: string;
  bridgeName?: string;
  /**
   * Of the bridge and the pods' interfaces: the overlay's (startNodeRoutes().mtu(): the
   * interface's, less 50 for VXLAN); default: the kernel's (1500).
   */
  mtu?: number;
  /**
   * Have the bridge plugin masquerade everything from pods to outside the podCIDR (default
   * false): that would hide pods' addresses from pods of other nodes too. The overlay's
   * masquerade (masquerade.ts) rewrites only what leaves the cluster CIDR. True only where
   * nothing else masquerades (--flannel-backend none with this conflist kept).
   */
  ipMasq?: boolean;
}

/** The CNI network configuration list, as data (the file is its JSON). */
export interface CniConfigList {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

function checkPodCidr(cidr: string): 4 | 6 {
  const range = parseCidr(cidr);
  if (!range || gatewayOf(cidr) === undefined) {
    throw new NetworkError('bad-pod-cidr', `pod CIDR "${cidr}" is not an IP range with room for a gateway and pods`);
  }
  return range.family;
}

export function cniConfigList(options: CniConfigOptions): CniConfigList {
  const family = checkPodCidr(options.podCidr);
  const bridge = options.bridgeName ?? DEFAULT_BRIDGE_NAME;
  if (!INTERFACE_NAME.test(bridge)) throw new NetworkError('bad-bridge-name', `bridge name "${bridge}" is not a Linux interface name (1 to 15 of A-Z a-z 0-9 _ . -)`);
  if (options.mtu !== undefined && !(Number.isInteger(options.mtu) && options.mtu >= 576 && options.mtu <= 65535)) {
    throw new NetworkError('bad-mtu', `MTU ${options.mtu} is not between 576 and 65535`);
  }
  return {
    cniVersion: CNI_VERSION,
    name: CNI_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge,
        // The bridge holds the range's gateway address, so the host reaches its pods directly.
        isGateway: true,
        ipMasq: options.ipMasq ?? false,
        // A pod reaching itself through a Service's address comes back over its own port.
        hairpinMode: true,
        ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: options.podCidr }]],
          // No gateway given: the route goes through the range's gateway (its first address).
          routes: [{ dst: family === 4 ? '0.0.0.0/0' : '::/0' }],
          dataDir: options.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'bandwidth', capabilities: { bandwidth: true } },
    ],
  };
}

export interface WrittenCniConfig {
  file: string;
  /** False when the file already said the same (containerd is not made to reload it). */
  changed: boolean;
}

/**
 * Writes confDir/10-tsk.conflist when its content differs: to a temp file beside it, then a
 * rename, so containerd's conf dir watcher never loads half a file. The temp name does not end
 * in .conf/.conflist/.json, which libcni would pick up.
 */
export function writeCniConfig(options: CniConfigOptions): WrittenCniConfig {
  const text = `${JSON.stringify(cniConfigList(options), null, 2)}\n`;
  const file = path.join(options.confDir, CNI_CONFIG_FILE);
  fs.mkdirSync(options.confDir, { recursive: true, mode: 0o755 });
  fs.mkdirSync(options.ipamDataDir, { recursive: true, mode: 0o700 });
  let current: string | undefined;
  try {
    current = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (current === text) return { file, changed: false };
  const temp = path.join(options.confDir, `.${CNI_CONFIG_FILE}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, text, { mode: 0o644 });
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new NetworkError('write-failed', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
  return { file, changed: true };
}

/** Structurally the kubelet's Readiness (pkg/kubelet/node/status.ts). */
export interface NetworkReadiness {
  ready: boolean;
  message?: string;
}

/** For the Node's Ready condition: the pod network is ready once its conflist is in place. */
export function cniReadiness(confDir: string): NetworkReadiness {
  if (fs.existsSync(path.join(confDir, CNI_CONFIG_FILE))) return { ready: true };
  return { ready: false, message: `network plugin not ready: no ${CNI_CONFIG_FILE} in ${confDir} yet (waiting for the node's podCIDR)` };
}
