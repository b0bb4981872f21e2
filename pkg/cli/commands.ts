/**
 * Typed configuration of each command, built from the resolved flags, with the checks that
 * involve more than one flag. Components receive these objects and never look at flags,
 * env vars or the config file themselves.
 */
import os from 'node:os';
import path from 'node:path';
import { parseAgentJoinToken } from '../auth/node/token.ts';
import { parseDatastoreEndpoint, type DatastoreEndpoint } from '../kv/open.ts';
import { cidrContains, cidrsOverlap } from '../network/cidr.ts';
import { ConfigError } from './errors.ts';
import type { FLANNEL_BACKENDS } from './values.ts';
import { envVarsOf, flagSpec, flagsOf, type CommandName, type FlagName } from './flags.ts';
import { resolveFlags, type CliValues, type ResolvedFlags } from './resolve.ts';

export interface CommonConfig {
  /** The config file that was read; undefined when the default one does not exist. */
  configFile: string | undefined;
  debug: boolean;
  printConfig: boolean;
}

/** The node this process runs a kubelet for. */
export type FlannelBackend = (typeof FLANNEL_BACKENDS)[number];

export interface NodeConfig {
  nodeName: string;
  nodeLabels: string[];
  nodeTaints: string[];
  nodeIp: string | undefined;
  kubeletPort: number;
  /** A CRI socket to use instead of a managed containerd. */
  containerRuntimeEndpoint: string | undefined;
  /** The interface other nodes reach this one through (VXLAN, host-gw); default: the one holding the node IP. */
  flannelIface: string | undefined;
}

export interface ServerConfig extends CommonConfig {
  command: 'server';
  dataDir: string;
  bindAddress: string;
  httpsListenPort: number;
  advertiseAddress: string | undefined;
  tlsSans: string[];
  token: string | undefined;
  /** --server: another server of the cluster, whose CA and keys this one fetches at its first start (HA). */
  server: string | undefined;
  writeKubeconfig: string | undefined;
  writeKubeconfigMode: number;
  clusterCidr: string;
  serviceCidr: string;
  clusterDns: string;
  clusterDomain: string;
  /** Components not to deploy (--disable). */
  disable: string[];
  /** How nodes route pod traffic to each other. */
  flannelBackend: FlannelBackend;
  disableNetworkPolicy: boolean;
  disableKubeProxy: boolean;
  /** The raw --datastore-endpoint (undefined = embedded sqlite), and what it designates. */
  datastoreEndpoint: string | undefined;
  datastore: DatastoreEndpoint;
  etcdListenClientUrl: string | undefined;
  /** Key prefixes held in memory and checkpointed (empty: every key durable). */
  datastoreVolatilePrefixes: string[];
  datastoreCheckpointIntervalMs: number;
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  nodeMonitorGracePeriodMs: number;
  disableScheduler: boolean;
  disableControllerManager: boolean;
  /** The embedded agent's node; undefined with --disable-agent. */
  agent: NodeConfig | undefined;
  /** Scheduled snapshots (pkg/snapshot/schedule.ts); `tsk etcd-snapshot save` works regardless. */
  snapshots: { dir: string; name: string; compress: boolean; cron: string; retention: number; disable: boolean };
  /** --cluster-reset --cluster-reset-restore-path FILE: restore FILE and exit instead of serving. */
  clusterResetRestorePath: string | undefined;
}

/** `tsk agent`: runs from the credentials a previous `agent join` stored in dataDir. */
export interface AgentConfig extends CommonConfig {
  command: 'agent';
  dataDir: string;
  node: NodeConfig;
}

export interface AgentJoinConfig extends CommonConfig {
  command: 'agent join';
  dataDir: string;
  server: string;
  token: string;
  node: NodeConfig;
}

export interface SimulateConfig extends CommonConfig {
  command: 'simulate';
  server: string;
  token: string;
  nodes: number;
  namePrefix: string;
}

/** `tsk certificate rotate` and `tsk certificate check`: the server's certificates in dataDir. */
export interface CertificateConfig extends CommonConfig {
  command: 'certificate rotate' | 'certificate check';
  dataDir: string;
  /** --service: empty means all. */
  services: string[];
}

/** `tsk etcd-snapshot save|ls|delete|prune|restore` (pkg/snapshot/command.ts). */
export interface EtcdSnapshotConfig extends CommonConfig {
  command: 'etcd-snapshot save' | 'etcd-snapshot ls' | 'etcd-snapshot delete' | 'etcd-snapshot prune' | 'etcd-snapshot restore';
  dataDir: string;
  dir: string;
  name: string;
  nodeName: string;
  compress: boolean;
  retention: number;
  datastoreEndpoint: string | undefined;
  volatilePrefixes: string[];
}

export type CommandConfig = ServerConfig | AgentConfig | AgentJoinConfig | SimulateConfig | CertificateConfig | EtcdSnapshotConfig;

function common(f: ResolvedFlags): CommonConfig {
  return { configFile: f.configFile, debug: f.get('debug'), printConfig: f.get('print-config') };
}

function nodeConfig(f: ResolvedFlags): NodeConfig {
  return {
    nodeName: f.get('node-name') ?? os.hostname().toLowerCase(),
    nodeLabels: f.get('node-label'),
    nodeTaints: f.get('node-taint'),
    nodeIp: f.get('node-ip'),
    kubeletPort: f.get('kubelet-port'),
    containerRuntimeEndpoint: f.get('container-runtime-endpoint'),
    flannelIface: f.get('flannel-iface'),
  };
}

function required<T>(name: FlagName, value: T | undefined, why: string): T {
  if (value === undefined) {
    const env = envVarsOf(flagSpec(name)!)[0];
    throw new ConfigError('missing-value', `--${name} is required ${why} (or set ${env}, or ${name}: in the config file)`);
  }
  return value;
}

/** Joining talks to the server over TLS only: the token's CA hash is what makes it safe. */
function serverUrl(f: ResolvedFlags, why: string): string {
  const url = required('server', f.get('server'), why);
  if (!url.startsWith('https://')) throw new ConfigError('bad-value', `${f.describe('server')}: must be an https:// URL, got "${url}"`);
  return url;
}

/** The join token k3s prints: K10<sha256 of the CA, hex>::<credentials>. */
const JOIN_TOKEN = /^K10[0-9a-f]{64}::.+$/;

function joinToken(f: ResolvedFlags, why: string): string {
  const token = required('token', f.get('token'), why);
  if (!JOIN_TOKEN.test(token)) {
    throw new ConfigError('bad-value', `${f.describe('token')}: must be the join token K10<ca hash>::<credentials> from the server's DATA_DIR/server/node-token`);
  }
  return token;
}

/** `agent join` also takes k3s's short forms (no CA hash: the CA is trusted on first use). */
function agentJoinToken(f: ResolvedFlags, why: string): string {
  const token = required('token', f.get('token'), why);
  if (!parseAgentJoinToken(token)) {
    throw new ConfigError('bad-value', `${f.describe('token')}: must be the join token K10<ca hash>::server:<secret> from the server's DATA_DIR/server/node-token, K10::server:<secret>, or the bare secret`);
  }
  return token;
}

export function serverConfig(f: ResolvedFlags): ServerConfig {
  const disableAgent = f.get('disable-agent');
  if (disableAgent) {
    for (const flag of flagsOf('server')) {
      if (flag.agentOnly && f.isSet(flag.name as FlagName)) {
        throw new ConfigError('conflict', `${f.describe(flag.name as FlagName)}: configures the agent, which ${f.describe('disable-agent')} turns off`);
      }
    }
  }
  const clusterCidr = f.get('cluster-cidr');
  const serviceCidr = f.get('service-cidr');
  const clusterDns = f.get('cluster-dns');
  if (!cidrContains(serviceCidr, clusterDns)) {
    throw new ConfigError('conflict', `${f.describe('cluster-dns')}: ${clusterDns} is outside the service range ${serviceCidr} (${f.describe('service-cidr')})`);
  }
  if (cidrsOverlap(clusterCidr, serviceCidr)) {
    throw new ConfigError('conflict', `${f.describe('cluster-cidr')}: ${clusterCidr} overlaps the service range ${serviceCidr} (${f.describe('service-cidr')})`);
  }
  const etcdUrl = f.get('etcd-listen-client-url');
  const dataDir = f.get('data-dir');
  const token = f.get('token');
  if (token !== undefined && /\s/.test(token)) throw new ConfigError('bad-value', `${f.describe('token')}: must not contain white space`);
  const server = f.get('server') === undefined ? undefined : serverUrl(f, '');
  if (server !== undefined && token === undefined) throw new ConfigError('missing-value', `${f.describe('server')}: a server joins with the cluster's --token (the first server's DATA_DIR/server/node-token)`);
  // Servers of one cluster share one datastore: each its own sqlite file would be two clusters with one CA.
  if (server !== undefined && parseDatastoreEndpoint(f.get('datastore-endpoint'), dataDir).kind === 'sqlite') {
    throw new ConfigError('conflict', `${f.describe('server')}: another server joins the cluster's external datastore: give the first server's --datastore-endpoint etcd://…`);
  }
  return {
    command: 'server',
    ...common(f),
    dataDir,
    bindAddress: f.get('bind-address'),
    httpsListenPort: f.get('https-listen-port'),
    advertiseAddress: f.get('advertise-address'),
    tlsSans: f.get('tls-san'),
    token,
    server,
    writeKubeconfig: f.get('write-kubeconfig'),
    writeKubeconfigMode: f.get('write-kubeconfig-mode'),
    clusterCidr,
    serviceCidr,
    clusterDns,
    clusterDomain: f.get('cluster-domain'),
    disable: [...new Set(f.get('disable'))],
    flannelBackend: f.get('flannel-backend') as FlannelBackend,
    disableNetworkPolicy: f.get('disable-network-policy'),
    disableKubeProxy: f.get('disable-kube-proxy'),
    datastoreEndpoint: f.get('datastore-endpoint'),
    datastore: parseDatastoreEndpoint(f.get('datastore-endpoint'), dataDir),
    etcdListenClientUrl: etcdUrl,
    datastoreVolatilePrefixes: volatilePrefixes(f.get('datastore-volatile-prefix')),
    datastoreCheckpointIntervalMs: f.get('datastore-checkpoint-interval'),
    defaultNotReadyTolerationSeconds: f.get('default-not-ready-toleration-seconds'),
    defaultUnreachableTolerationSeconds: f.get('default-unreachable-toleration-seconds'),
    nodeMonitorGracePeriodMs: f.get('node-monitor-grace-period'),
    disableScheduler: f.get('disable-scheduler'),
    disableControllerManager: f.get('disable-controller-manager'),
    agent: disableAgent ? undefined : nodeConfig(f),
    clusterResetRestorePath: clusterReset(f),
    snapshots: {
      dir: f.get('etcd-snapshot-dir') ?? path.join(dataDir, 'server', 'db', 'snapshots'),
      name: f.get('etcd-snapshot-name'),
      compress: f.get('etcd-snapshot-compress'),
      cron: f.get('etcd-snapshot-schedule-cron'),
      retention: f.get('etcd-snapshot-retention'),
      disable: f.get('etcd-disable-snapshots'),
    },
  };
}

/** k3s's pair: --cluster-reset forgets etcd peers, which tsk's datastores do not have, so only the restore remains. */
function clusterReset(f: ResolvedFlags): string | undefined {
  const restorePath = f.get('cluster-reset-restore-path');
  if (restorePath !== undefined && !f.get('cluster-reset')) throw new ConfigError('conflict', `${f.describe('cluster-reset-restore-path')}: needs --cluster-reset as well (as in k3s)`);
  if (restorePath === undefined && f.get('cluster-reset')) throw new ConfigError('missing-value', '--cluster-reset: tsk has no etcd members to reset; give --cluster-reset-restore-path FILE to restore a snapshot');
  return restorePath;
}

function volatilePrefixes(values: string[]): string[] {
  if (values.includes('none')) {
    if (values.length > 1) throw new ConfigError('conflict', '--datastore-volatile-prefix none cannot be combined with prefixes');
    return [];
  }
  return [...new Set(values)];
}

export function agentConfig(f: ResolvedFlags): AgentConfig {
  return { command: 'agent', ...common(f), dataDir: f.get('data-dir'), node: nodeConfig(f) };
}

export function agentJoinConfig(f: ResolvedFlags): AgentJoinConfig {
  const why = 'to join a cluster';
  return {
    command: 'agent join',
    ...common(f),
    dataDir: f.get('data-dir'),
    server: serverUrl(f, why),
    token: agentJoinToken(f, why),
    node: nodeConfig(f),
  };
}

export function simulateConfig(f: ResolvedFlags): SimulateConfig {
  const why = 'to simulate nodes';
  const nodes = required('nodes', f.get('nodes'), why);
  if (nodes < 1) throw new ConfigError('bad-value', `${f.describe('nodes')}: must be at least 1, got ${nodes}`);
  return {
    command: 'simulate',
    ...common(f),
    server: serverUrl(f, why),
    token: joinToken(f, why),
    nodes,
    namePrefix: f.get('name-prefix'),
  };
}

const certificateConfig = (command: CertificateConfig['command']) => (f: ResolvedFlags): CertificateConfig => ({
  command,
  ...common(f),
  dataDir: f.get('data-dir'),
  services: command === 'certificate rotate' ? [...new Set(f.get('service'))] : [],
});

/** k3s lets the etcd-snapshot commands drop the etcd- prefix: --dir, --snapshot-compress, --snapshot-retention. */
const etcdSnapshotConfig = (command: EtcdSnapshotConfig['command']) => (f: ResolvedFlags): EtcdSnapshotConfig => {
  const dataDir = f.get('data-dir');
  const has = (name: FlagName) => flagSpec(name)!.commands.includes(command);
  return {
    command,
    ...common(f),
    dataDir,
    dir: f.get('dir') ?? f.get('etcd-snapshot-dir') ?? path.join(dataDir, 'server', 'db', 'snapshots'),
    name: has('name') ? f.get('name') : 'on-demand',
    nodeName: (has('node-name') ? f.get('node-name') : undefined) ?? os.hostname().toLowerCase(),
    compress: has('snapshot-compress') && (f.get('snapshot-compress') || f.get('etcd-snapshot-compress')),
    retention: has('etcd-snapshot-retention') ? (f.get('snapshot-retention') ?? f.get('etcd-snapshot-retention')) : 0,
    datastoreEndpoint: has('datastore-endpoint') ? f.get('datastore-endpoint') : undefined,
    volatilePrefixes: has('datastore-volatile-prefix') ? volatilePrefixes(f.get('datastore-volatile-prefix')) : [],
  };
};

const BUILDERS = {
  server: serverConfig,
  agent: agentConfig,
  'agent join': agentJoinConfig,
  simulate: simulateConfig,
  'certificate rotate': certificateConfig('certificate rotate'),
  'certificate check': certificateConfig('certificate check'),
  'etcd-snapshot save': etcdSnapshotConfig('etcd-snapshot save'),
  'etcd-snapshot ls': etcdSnapshotConfig('etcd-snapshot ls'),
  'etcd-snapshot delete': etcdSnapshotConfig('etcd-snapshot delete'),
  'etcd-snapshot prune': etcdSnapshotConfig('etcd-snapshot prune'),
  'etcd-snapshot restore': etcdSnapshotConfig('etcd-snapshot restore'),
} satisfies Record<CommandName, (f: ResolvedFlags) => CommandConfig>;

export type ConfigOf<C extends CommandName> = ReturnType<(typeof BUILDERS)[C]>;

/** Flags, env and config file → the command's typed, validated config (throws ConfigError). */
export function loadCommandConfig<C extends CommandName>(command: C, cli: CliValues, env: NodeJS.ProcessEnv): ConfigOf<C> {
  return BUILDERS[command](resolveFlags(command, cli, env)) as ConfigOf<C>;
}
