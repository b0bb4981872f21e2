/**
 * `tsk agent join` (get the node's credentials with a token, store them, run) and `tsk agent`
 * (run from what join stored, as a service unit does after a reboot). Both run the agent
 * through startAgent until SIGTERM/SIGINT. Refusals (bad token, CA mismatch, taken node name,
 * nothing stored) are JoinErrors: main prints them as one `tsk: …` line and exits 1.
 */
import type { AgentConfig, AgentJoinConfig } from '../cli/commands.ts';
import { dataDirLayout, prepareDataDir } from '../datadir/layout.ts';
import { logger, setLogLevel } from '../log/log.ts';
import { hostAddresses } from '../server/credentials.ts';
import { onShutdownSignal, type ShutdownSignal } from '../server/shutdown.ts';
import type { ClusterNetworkConfig } from '../network/clusterconfig.ts';
import { fetchClusterNetwork, ServerUnavailable } from './bootstrap.ts';
import {
  agentFiles, ensureNodePasswordFile, readClusterNetwork, readStoredAgent, writeAgentCredentials, writeClusterNetwork, writeNodeConfig,
  type AgentCredentials, type StoredNodeConfig,
} from './files.ts';
import { agentToken, fetchNodeCredentials, onAnyServer, retryWhileUnavailable } from './join.ts';
import { renewIfExpiring, scheduleRenewal, serversOf, type Renewal } from './renew.ts';
import { startAgent } from './run.ts';
import { takeNotifySocket } from '../server/notify.ts';

const log = logger('agent');

/**
 * The server's network settings, fetched at every start (the server may have been restarted
 * with other flags) and stored; a server that cannot be reached leaves the stored ones in
 * force, so a node rebooting while its server is down keeps its pods' network.
 */
async function clusterNetwork(renewal: Renewal, credentials: AgentCredentials, signal: ShutdownSignal): Promise<ClusterNetworkConfig | undefined> {
  const fetch = () => onAnyServer(serversOf(renewal), (server) => fetchClusterNetwork(server, credentials.client.ca, renewal.token));
  const stored = readClusterNetwork(renewal.files);
  let network: ClusterNetworkConfig | undefined;
  if (stored) {
    try {
      network = await fetch();
    } catch (err) {
      if (!(err instanceof ServerUnavailable)) throw err;
      log.warn(`${err.message}; using the network settings stored in ${renewal.files.clusterNetwork}`);
      return stored;
    }
  } else {
    network = await retryWhileUnavailable(fetch, signal.received);
    if (!network) return undefined;
  }
  writeClusterNetwork(renewal.files, network);
  return network;
}

async function runUntilSignal(dataDir: string, renewal: Renewal, credentials: AgentCredentials, debug: boolean, signal: ShutdownSignal): Promise<number> {
  const layout = prepareDataDir(dataDir, { server: false, agent: true }).agent;
  // Before startAgent starts containerd, which would otherwise inherit the socket.
  const notifier = takeNotifySocket();
  const network = await clusterNetwork(renewal, credentials, signal);
  if (!network) return 0;
  const running = await startAgent({ layout, files: renewal.files, node: renewal.node, credentials, debug, network });
  const stopRenewal = scheduleRenewal(renewal, credentials, signal.received, (fresh) => running.credentialsRenewed(fresh));
  void notifier.ready();
  await signal.received;
  stopRenewal();
  await running.stop();
  log.info(`agent for node ${renewal.node.nodeName} stopped`);
  return 0;
}

export async function runAgentJoin(config: AgentJoinConfig): Promise<number> {
  if (config.debug) setLogLevel('debug');
  const token = agentToken(config.token);
  const files = agentFiles(prepareDataDir(config.dataDir, { server: false, agent: true }).agent.root);
  const node: StoredNodeConfig = {
    server: config.server,
    nodeName: config.node.nodeName,
    nodeIp: config.node.nodeIp ?? hostAddresses()[0] ?? '127.0.0.1',
    nodeLabels: config.node.nodeLabels,
    nodeTaints: config.node.nodeTaints,
    kubeletPort: config.node.kubeletPort,
    containerRuntimeEndpoint: config.node.containerRuntimeEndpoint,
    flannelIface: config.node.flannelIface,
  };
  const password = ensureNodePasswordFile(files);
  const signal = onShutdownSignal(log);
  try {
    log.info(`joining ${config.server} as node ${node.nodeName} (${node.nodeIp})`);
    const identity = { nodeName: node.nodeName, nodeIp: node.nodeIp, password };
    const credentials = await retryWhileUnavailable(() => fetchNodeCredentials(config.server, token, identity), signal.received);
    if (!credentials) return 0;
    writeAgentCredentials(files, credentials);
    writeNodeConfig(files, node, config.token);
    log.info(`joined ${config.server} as node ${node.nodeName}; credentials stored in ${files.dir}`);
    return await runUntilSignal(config.dataDir, { files, node, token, password }, credentials, config.debug, signal);
  } finally {
    signal.dispose();
  }
}

export async function runAgent(config: AgentConfig): Promise<number> {
  if (config.debug) setLogLevel('debug');
  // Read before anything is created: an empty --data-dir stays empty.
  const files = agentFiles(dataDirLayout(config.dataDir).agent.root);
  const stored = readStoredAgent(files);
  const renewal: Renewal = { files, node: stored.config, token: agentToken(stored.token), password: ensureNodePasswordFile(files) };
  log.info(`running node ${stored.config.nodeName} of ${stored.config.server} from ${files.nodeConfig} (node flags are taken from there)`);
  const signal = onShutdownSignal(log);
  try {
    let credentials: AgentCredentials | undefined = stored.creds;
    credentials = (await renewIfExpiring(renewal, credentials, signal.received)) ?? credentials;
    return await runUntilSignal(config.dataDir, renewal, credentials, config.debug, signal);
  } finally {
    signal.dispose();
  }
}
