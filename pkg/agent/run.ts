/**
 * The agent's one seam: `tsk agent join`, `tsk agent` and the server's embedded agent all end
 * here with the node's identity and credentials. It brings up the container runtime (a
 * managed containerd under DATA_DIR/agent/containerd, or the one --container-runtime-endpoint
 * names), imports the built-in pause image and the air-gap folder's tarballs, then runs the
 * kubelet (pkg/kubelet) with the node's own client identity.
 */
import { Client } from '../client/client.ts';
import { followServers } from '../client/serverwatch.ts';
import { ServerList } from '../client/servers.ts';
import { ImageFolder } from '../containerd/images.ts';
import { ManagedContainerd } from '../containerd/process.ts';
import { CriClient } from '../cri/client.ts';
import type { DataDirLayout } from '../datadir/layout.ts';
import { startKubelet, type RunningKubelet } from '../kubelet/kubelet.ts';
import { logger } from '../log/log.ts';
import type { ClusterNetworkConfig } from '../network/clusterconfig.ts';
import { startNodeNetwork } from './network.ts';
import { readServers, writeServers, type AgentCredentials, type AgentFiles, type StoredNodeConfig } from './files.ts';

const log = logger('agent');
const RUNTIME_READY_TIMEOUT_MS = 60_000;

export interface AgentRuntimeConfig {
  /** DATA_DIR/agent's folders: images, containerd, pod logs. */
  layout: DataDirLayout['agent'];
  /** Where the credentials below are stored (server-ca.crt, kubelet.kubeconfig, …); the embedded agent keeps none. */
  files?: AgentFiles;
  /** Server URL, node name, IP, labels, taints, kubelet port, CRI endpoint, as join stored them. */
  node: StoredNodeConfig;
  /** The kubelet's client identity (system:node:NAME) and its serving certificate. */
  credentials: AgentCredentials;
  debug: boolean;
  /** The server's network settings (cluster range, DNS address and domain, backend). */
  network: ClusterNetworkConfig;
  /** The server's own agent: its Node gets the control-plane role (labelled by the server). */
  controlPlane?: boolean;
}

export interface RunningAgent {
  kubelet: RunningKubelet;
  /** Called after the client and serving certificates were renewed (the files are rewritten already). */
  credentialsRenewed(credentials: AgentCredentials): void;
  stop(): Promise<void>;
}

const withoutScheme = (endpoint: string) => endpoint.replace(/^unix:\/\//, '');

export async function startAgent(config: AgentRuntimeConfig): Promise<RunningAgent> {
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.warn(`stopping: ${(err as Error).message}`);
      }
    }
  };
  try {
    let socket: string;
    if (config.node.containerRuntimeEndpoint) {
      socket = withoutScheme(config.node.containerRuntimeEndpoint);
      log.info(`using the container runtime at ${socket} (--container-runtime-endpoint); images in ${config.layout.images} are not imported into it`);
    } else {
      const containerd = new ManagedContainerd({ dir: config.layout.containerd });
      await containerd.start();
      // Containers outlive the agent (their shims are separate processes): stop() leaves them running.
      stops.push(() => containerd.stop());
      socket = containerd.address;
      const images = new ImageFolder({ ctr: containerd.ctr, snapshotter: containerd.snapshotter, dir: config.layout.images, stateFile: containerd.paths.importState });
      await images.start();
      stops.push(() => images.stop());
    }
    const runtime = CriClient.connect(socket);
    stops.push(() => runtime.close());
    await runtime.waitForReady(RUNTIME_READY_TIMEOUT_MS);

    const { client: identity } = config.credentials;
    // A joined agent fails over between the cluster's servers; the embedded one has only its own.
    const files = config.files;
    const servers = files ? new ServerList(identity.server, readServers(files)) : undefined;
    const client = new Client({ server: identity.server, ca: identity.ca, cert: identity.cert, key: identity.key }, { userAgent: `tsk-kubelet/${config.node.nodeName}`, servers });
    stops.push(() => client.close());
    if (files && servers) {
      const watch = followServers(client, servers, (urls) => writeServers(files, urls));
      stops.push(() => watch.stop());
    }
    // Waits for the podCIDR the server gives the Node the kubelet registers just below.
    const network = startNodeNetwork({
      client,
      nodeName: config.node.nodeName,
      nodeIp: config.node.nodeIp,
      flannelIface: config.node.flannelIface,
      network: config.network,
      agentDir: config.layout.root,
    });
    stops.push(() => network.stop());
    const kubelet = await startKubelet({
      client,
      runtime,
      nodeName: config.node.nodeName,
      nodeIp: config.node.nodeIp,
      nodeLabels: config.node.nodeLabels,
      nodeTaints: config.node.nodeTaints,
      kubeletPort: config.node.kubeletPort,
      agentDir: config.layout.root,
      clusterDns: config.network.clusterDns,
      clusterDomain: config.network.clusterDomain,
      serving: config.credentials.serving,
      clientCa: config.credentials.clientCa,
      networkReadiness: network.readiness,
    });
    stops.push(() => kubelet.stop());
    log.info(`agent for node ${config.node.nodeName} running`);
    return {
      kubelet,
      // No restart: new connections to the API use the new client certificate, new connections to the kubelet's API the new serving one.
      credentialsRenewed: (renewed) => {
        client.setClientCertificate(renewed.client.cert, renewed.client.key);
        kubelet.setServing(renewed.serving);
        log.info(`node ${config.node.nodeName}: renewed certificates in use`);
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
