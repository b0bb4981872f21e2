/**
 * What `tsk agent join` stores under DATA_DIR/agent and `tsk agent` runs from, each file 0600
 * (keys, the join token and the node password are secrets; the rest is nobody else's business):
 *
 *   server-ca.crt                          the CA the server's certificate is checked against
 *   client-ca.crt                          the CA the kubelet API checks the API server's certificate against
 *   client-kubelet.crt, client-kubelet.key the kubelet's identity (system:node:NAME)
 *   serving-kubelet.crt, serving-kubelet.key  the kubelet HTTPS API's certificate
 *   kubelet.kubeconfig                     the same identity for kubectl and client libraries
 *   node-config.json                       server URL, node name, IP, labels, taints, kubelet port
 *   node-password                          made up once; proves this machine owns the node name
 *   token                                  the join token, to renew certificates later
 *   cluster-network.json                   the server's network settings as last fetched, so a
 *                                          restart while the server is down keeps its routes
 *   servers.json                           the API servers last learned (HA), so a restart while
 *                                          --server is down reaches another one
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { readIfExists, writeFileAtomic } from '../auth/files.ts';
import { writeKubeconfig } from '../auth/kubeconfig.ts';
import type { ClientCredentials } from '../client/client.ts';
import { parseClusterNetworkConfig, type ClusterNetworkConfig } from '../network/clusterconfig.ts';
import { JoinError } from './bootstrap.ts';

const SECRET = 0o600;

export interface AgentFiles {
  dir: string;
  serverCa: string;
  clientCa: string;
  clientCert: string;
  clientKey: string;
  servingCert: string;
  servingKey: string;
  kubeconfig: string;
  nodeConfig: string;
  nodePassword: string;
  token: string;
  clusterNetwork: string;
  servers: string;
}

export function agentFiles(agentDir: string): AgentFiles {
  const file = (name: string) => path.join(agentDir, name);
  return {
    dir: agentDir,
    serverCa: file('server-ca.crt'),
    clientCa: file('client-ca.crt'),
    clientCert: file('client-kubelet.crt'),
    clientKey: file('client-kubelet.key'),
    servingCert: file('serving-kubelet.crt'),
    servingKey: file('serving-kubelet.key'),
    kubeconfig: file('kubelet.kubeconfig'),
    nodeConfig: file('node-config.json'),
    nodePassword: file('node-password'),
    token: file('token'),
    clusterNetwork: file('cluster-network.json'),
    servers: file('servers.json'),
  };
}

/** The node settings join was given (or found), kept so `tsk agent` registers the same node. */
export interface StoredNodeConfig {
  server: string;
  nodeName: string;
  nodeIp: string;
  nodeLabels: string[];
  nodeTaints: string[];
  kubeletPort: number;
  containerRuntimeEndpoint?: string;
  /** --flannel-iface: the interface other nodes reach this one through. */
  flannelIface?: string;
}

/** Everything an agent runs from. */
export interface AgentCredentials {
  /** The kubelet's client identity towards the API server (a ClientCredentials: PEMs and the server CA). */
  client: Required<Pick<ClientCredentials, 'server'>> & { ca: string; cert: string; key: string };
  serving: { cert: string; key: string };
  /** The CA of client certificates the kubelet API accepts (the API server's); absent, nobody gets in. */
  clientCa?: string;
}

/** This machine's node password: made up on the first join, then always the same. */
export function ensureNodePasswordFile(files: AgentFiles): string {
  const existing = readIfExists(files.nodePassword)?.trim();
  if (existing) return existing;
  const password = crypto.randomBytes(32).toString('hex');
  writeFileAtomic(files.nodePassword, `${password}\n`, SECRET);
  return password;
}

export function writeAgentCredentials(files: AgentFiles, creds: AgentCredentials): void {
  const { client, serving } = creds;
  writeFileAtomic(files.serverCa, client.ca, SECRET);
  if (creds.clientCa) writeFileAtomic(files.clientCa, creds.clientCa, SECRET);
  writeFileAtomic(files.clientCert, client.cert, SECRET);
  writeFileAtomic(files.clientKey, client.key, SECRET);
  writeFileAtomic(files.servingCert, serving.cert, SECRET);
  writeFileAtomic(files.servingKey, serving.key, SECRET);
  writeKubeconfig(files.kubeconfig, { server: client.server, caPem: client.ca, certPem: client.cert, keyPem: client.key }, SECRET);
}

export function writeNodeConfig(files: AgentFiles, config: StoredNodeConfig, token: string): void {
  writeFileAtomic(files.nodeConfig, `${JSON.stringify(config, null, 2)}\n`, SECRET);
  writeFileAtomic(files.token, `${token}\n`, SECRET);
}

/** What a previous join stored; a JoinError naming `tsk agent join` when there is nothing. */
export function readStoredAgent(files: AgentFiles): { config: StoredNodeConfig; token: string; creds: AgentCredentials } {
  const configText = readIfExists(files.nodeConfig);
  if (configText === undefined) {
    throw new JoinError(`no node credentials in ${files.dir}: run tsk agent join first (with --data-dir ${path.dirname(files.dir)})`);
  }
  let config: StoredNodeConfig;
  try {
    config = JSON.parse(configText) as StoredNodeConfig;
  } catch (err) {
    throw new JoinError(`${files.nodeConfig} is not valid JSON (${(err as Error).message}): run tsk agent join again`);
  }
  const read = (file: string) => {
    const text = readIfExists(file);
    if (text === undefined) throw new JoinError(`${file} is missing: run tsk agent join again`);
    return text;
  };
  const ca = read(files.serverCa);
  return {
    config,
    token: read(files.token).trim(),
    creds: {
      client: { server: config.server, ca, cert: read(files.clientCert), key: read(files.clientKey) },
      serving: { cert: read(files.servingCert), key: read(files.servingKey) },
      // Joined before the kubelet API existed: without it the API refuses everyone until the next join or renewal.
      clientCa: readIfExists(files.clientCa),
    },
  };
}

export function writeClusterNetwork(files: AgentFiles, network: ClusterNetworkConfig): void {
  writeFileAtomic(files.clusterNetwork, `${JSON.stringify(network, null, 2)}\n`, SECRET);
}

/** The settings stored by the last join or start; undefined when there are none (or they are unreadable). */
export function readClusterNetwork(files: AgentFiles): ClusterNetworkConfig | undefined {
  const text = readIfExists(files.clusterNetwork);
  if (text === undefined) return undefined;
  try {
    return parseClusterNetworkConfig(text);
  } catch {
    return undefined;
  }
}

export function writeServers(files: AgentFiles, urls: readonly string[]): void {
  writeFileAtomic(files.servers, `${JSON.stringify(urls)}\n`, SECRET);
}

/** The API servers learned before; none when there is no (readable) list. */
export function readServers(files: AgentFiles): string[] {
  try {
    const urls = JSON.parse(readIfExists(files.servers) ?? '[]') as unknown;
    return Array.isArray(urls) ? urls.filter((u): u is string => typeof u === 'string' && u.startsWith('https://')) : [];
  } catch {
    return [];
  }
}
