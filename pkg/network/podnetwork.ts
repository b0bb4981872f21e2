/**
 * The agent's one call for its pod network on one node: from the moment the kubelet starts
 * (its Node reports NetworkReady=false meanwhile), wait for the Node's podCIDR, turn on
 * forwarding, make the bridge with its gateway address, write the CNI conflist. containerd runs
 * already by then on a first join (the kubelet needs it to register the Node that gets the
 * podCIDR) and picks the file up through its conf dir watch; on every later start the conflist
 * of the previous run is on disk before containerd starts, and the podCIDR never changes.
 */
import { logger } from '../log/log.ts';
import { ensureBridge } from './bridge.ts';
import { cniPaths, cniReadiness, DEFAULT_BRIDGE_NAME, writeCniConfig, type CniPaths, type NetworkReadiness } from './cni.ts';
import { NetworkError } from './errors.ts';
import { gatewayOf } from './cidr.ts';
import { waitForPodCidr, type NodeReader } from './podcidr.ts';
import { enableForwarding } from './sysctl.ts';

const log = logger('network');

export interface PodNetworkOptions {
  client: NodeReader;
  nodeName: string;
  /** DATA_DIR/agent: the conf dir containerd watches and the IPAM leases live below it. */
  agentDir: string;
  bridgeName?: string;
  /** The pods' MTU, asked once the podCIDR is known (the VXLAN backend knows it by then); default the kernel's. */
  mtu?: () => Promise<number | undefined>;
  /** Let the bridge masquerade what leaves the podCIDR: only when nothing else masquerades (--flannel-backend none). */
  ipMasq?: boolean;
  /** Default /proc/sys (tests hand in a folder). */
  procSys?: string;
  /** Default true: make the bridge before the first pod (tests of the conflist alone turn it off). */
  makeBridge?: boolean;
}

export interface PodNetworkReady {
  podCidr: string;
  /** The bridge's address, where pods find their gateway and the node's DNS server. */
  gateway: string;
}

export interface PodNetwork {
  paths: CniPaths;
  /** For the kubelet's networkReadiness: ready once the conflist is written. */
  readiness(): NetworkReadiness;
  /** Resolves once the conflist is written; rejects if that failed or stop() came first. */
  ready: Promise<PodNetworkReady>;
  stop(): void;
}

export function startPodNetwork(options: PodNetworkOptions): PodNetwork {
  const paths = cniPaths(options.agentDir);
  const abort = new AbortController();
  const bridgeName = options.bridgeName ?? DEFAULT_BRIDGE_NAME;
  const ready = (async (): Promise<PodNetworkReady> => {
    const podCidr = await waitForPodCidr(options.client, options.nodeName, { signal: abort.signal });
    enableForwarding({ procSys: options.procSys, ipv6: podCidr.includes(':') });
    const mtu = await options.mtu?.();
    const gateway = gatewayOf(podCidr);
    if (!gateway) throw new NetworkError('bad-pod-cidr', `pod CIDR "${podCidr}" has no room for a gateway and pods`);
    if (options.makeBridge !== false) await ensureBridge({ name: bridgeName, address: `${gateway}/${podCidr.split('/')[1]}` });
    const { file, changed } = writeCniConfig({ ...paths, podCidr, bridgeName, mtu, ipMasq: options.ipMasq });
    log.info(`pod network: ${podCidr} on bridge ${bridgeName} (${changed ? 'wrote' : 'kept'} ${file}${mtu ? `, MTU ${mtu}` : ''})`);
    return { podCidr, gateway };
  })();
  ready.catch((err: unknown) => {
    if (!(err instanceof NetworkError && err.code === 'no-pod-cidr')) log.error(`pod network not set up: ${(err as Error).message}`);
  });
  return {
    paths,
    readiness: () => cniReadiness(paths.confDir),
    ready,
    stop: () => abort.abort(),
  };
}
