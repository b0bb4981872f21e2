/**
 * The agent's one call for its pod network on one node: from the moment the kubelet starts
 * (its Node reports NetworkReady=false meanwhile), wait for the Node's podCIDR, turn on
 * forwarding, write the CNI conflist. containerd runs already by then (the kubelet needs it to
 * register the Node that gets the podCIDR) and picks the file up through its conf dir watch.
 */
import { logger } from '../log/log.ts';
import { cniPaths, cniReadiness, DEFAULT_BRIDGE_NAME, writeCniConfig, type CniPaths, type NetworkReadiness } from './cni.ts';
import { NetworkError } from './errors.ts';
import { waitForPodCidr, type NodeReader } from './podcidr.ts';
import { enableForwarding } from './sysctl.ts';

const log = logger('network');

export interface PodNetworkOptions {
  client: NodeReader;
  nodeName: string;
  /** DATA_DIR/agent: the conf dir containerd watches and the IPAM leases live below it. */
  agentDir: string;
  bridgeName?: string;
  mtu?: number;
  /** Default /proc/sys (tests hand in a folder). */
  procSys?: string;
}

export interface PodNetwork {
  paths: CniPaths;
  /** For the kubelet's networkReadiness: ready once the conflist is written. */
  readiness(): NetworkReadiness;
  /** Resolves with the podCIDR once the conflist is written; rejects if that failed or stop() came first. */
  ready: Promise<string>;
  stop(): void;
}

export function startPodNetwork(options: PodNetworkOptions): PodNetwork {
  const paths = cniPaths(options.agentDir);
  const abort = new AbortController();
  const ready = (async () => {
    const podCidr = await waitForPodCidr(options.client, options.nodeName, { signal: abort.signal });
    enableForwarding({ procSys: options.procSys, ipv6: podCidr.includes(':') });
    const { file, changed } = writeCniConfig({ ...paths, podCidr, bridgeName: options.bridgeName, mtu: options.mtu });
    log.info(`pod network: ${podCidr} on bridge ${options.bridgeName ?? DEFAULT_BRIDGE_NAME} (${changed ? 'wrote' : 'kept'} ${file})`);
    return podCidr;
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
