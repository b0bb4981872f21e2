/**
 * The one flag table: every flag of every command, with its env var, the commands that take
 * it, its type, default and help. Commander options, env and config file lookups, value
 * parsing and the typed config objects (commands.ts) all derive from it, so a flag is added
 * in exactly one place. Names follow k3s (see DESIGN.md, "Command-line contract").
 */
import { ALL_SERVICES, isCertService } from '../auth/certservices.ts';
import { parseSchedule } from '../controllers/cronjob/schedule.ts';
import { parseDatastoreEndpoint } from '../kv/open.ts';
import {
  checkComponent, checkDnsSubdomain, checkFlannelBackend, checkInterfaceName, checkNodeLabel, checkNodeTaint, checkSan, ValueError,
} from './values.ts';

export type CommandName = 'server' | 'agent' | 'agent join' | 'simulate' | 'certificate rotate' | 'certificate check'
  | 'etcd-snapshot save' | 'etcd-snapshot ls' | 'etcd-snapshot delete' | 'etcd-snapshot prune' | 'etcd-snapshot restore';

/** How the raw text of a flag becomes its value (values.ts has one parser per kind). */
export type FlagKind = 'string' | 'bool' | 'count' | 'port' | 'ip' | 'cidr' | 'duration' | 'mode' | 'url' | 'path' | 'list';

export interface KindValue {
  string: string;
  bool: boolean;
  count: number;
  port: number;
  ip: string;
  cidr: string;
  /** Milliseconds. */
  duration: number;
  mode: number;
  url: string;
  /** Absolute. */
  path: string;
  list: string[];
}

/** Help headings, in the order `--help` shows them. */
export const CATEGORIES = {
  global: 'Global:',
  listener: 'Listener:',
  cluster: 'Cluster:',
  datastore: 'Datastore:',
  components: 'Kubernetes components:',
  node: 'Node (the agent):',
  join: 'Joining a server:',
  simulate: 'Simulation:',
  certificate: 'Certificates:',
  snapshot: 'Snapshots:',
} as const;

export interface FlagSpec {
  readonly name: string;
  /** Env vars read for the flag, first one shown in help; default [TSK_<NAME_IN_CAPS>]. */
  readonly env?: readonly string[];
  readonly commands: readonly CommandName[];
  readonly category: keyof typeof CATEGORIES;
  readonly kind: FlagKind;
  /** Raw text, parsed like any other source, so a default can never skip validation. */
  readonly default?: string | readonly string[];
  /** What help shows when the default is computed at run time. */
  readonly defaultText?: string;
  readonly placeholder?: string;
  readonly help: string;
  /** An extra rule for each value (each item, for lists); throws ValueError. */
  readonly check?: (value: string) => void;
  /** Read from the command line only: neither env nor config file may set it. */
  readonly cliOnly?: boolean;
  /** Configures the embedded agent, so meaningless with --disable-agent. */
  readonly agentOnly?: boolean;
}

const SNAPSHOT: readonly CommandName[] = ['etcd-snapshot save', 'etcd-snapshot ls', 'etcd-snapshot delete', 'etcd-snapshot prune', 'etcd-snapshot restore'];
/** The snapshot commands that open a datastore. */
const SNAPSHOT_STORE: readonly CommandName[] = ['etcd-snapshot save', 'etcd-snapshot restore'];
const ALL: readonly CommandName[] = ['server', 'agent', 'agent join', 'simulate', 'certificate rotate', 'certificate check', ...SNAPSHOT];
const NODE: readonly CommandName[] = ['server', 'agent', 'agent join'];
const CERTIFICATE: readonly CommandName[] = ['certificate rotate', 'certificate check'];

export const FLAGS = [
  // Global
  { name: 'config', env: ['TSK_CONFIG_FILE', 'TSK_CONFIG'], commands: ALL, category: 'global', kind: 'path', default: '/etc/tsk/config.yaml', placeholder: 'FILE', help: 'YAML file whose keys are flag names' },
  { name: 'debug', commands: ALL, category: 'global', kind: 'bool', default: 'false', help: 'log at debug level' },
  { name: 'data-dir', commands: [...NODE, ...CERTIFICATE, ...SNAPSHOT], category: 'global', kind: 'path', default: '/var/lib/tsk', placeholder: 'DIR', help: 'folder holding all state' },
  { name: 'print-config', commands: ALL, category: 'global', kind: 'bool', default: 'false', cliOnly: true, help: 'print the resolved configuration as JSON and exit' },

  // Listener
  { name: 'bind-address', commands: ['server'], category: 'listener', kind: 'ip', default: '0.0.0.0', placeholder: 'IP', help: 'address the API server listens on' },
  { name: 'https-listen-port', commands: ['server'], category: 'listener', kind: 'port', default: '6443', placeholder: 'PORT', help: 'port the API server listens on' },
  { name: 'advertise-address', commands: ['server'], category: 'listener', kind: 'ip', defaultText: 'node-ip', placeholder: 'IP', help: 'address other nodes reach the API server at' },
  { name: 'tls-san', commands: ['server'], category: 'listener', kind: 'list', default: [], placeholder: 'NAME', check: checkSan, help: 'extra host name or IP in the serving certificate (repeatable)' },
  { name: 'write-kubeconfig', env: ['TSK_WRITE_KUBECONFIG', 'TSK_KUBECONFIG_OUTPUT'], commands: ['server'], category: 'listener', kind: 'path', placeholder: 'FILE', help: 'also write the admin kubeconfig to this file' },
  { name: 'write-kubeconfig-mode', env: ['TSK_WRITE_KUBECONFIG_MODE', 'TSK_KUBECONFIG_MODE'], commands: ['server'], category: 'listener', kind: 'mode', default: '0600', placeholder: 'MODE', help: 'file mode of --write-kubeconfig' },

  // Cluster
  { name: 'token', commands: ['server', 'agent join', 'simulate'], category: 'cluster', kind: 'string', placeholder: 'SECRET', help: 'shared secret: the server\'s join secret, or the join token K10<ca hash>::<credentials>' },
  { name: 'cluster-cidr', commands: ['server'], category: 'cluster', kind: 'cidr', default: '10.42.0.0/16', placeholder: 'CIDR', help: 'pod IP range' },
  { name: 'service-cidr', commands: ['server'], category: 'cluster', kind: 'cidr', default: '10.43.0.0/16', placeholder: 'CIDR', help: 'service IP range' },
  { name: 'cluster-dns', commands: ['server'], category: 'cluster', kind: 'ip', default: '10.43.0.10', placeholder: 'IP', help: 'cluster DNS service IP (inside --service-cidr)' },
  { name: 'cluster-domain', commands: ['server'], category: 'cluster', kind: 'string', default: 'cluster.local', placeholder: 'DOMAIN', check: checkDnsSubdomain, help: 'cluster DNS domain' },
  { name: 'disable-agent', commands: ['server'], category: 'cluster', kind: 'bool', default: 'false', help: 'run the control plane only, no kubelet on this machine' },
  { name: 'disable', commands: ['server'], category: 'cluster', kind: 'list', default: [], placeholder: 'COMPONENT', check: checkComponent, help: 'do not deploy this packaged component (repeatable)' },
  { name: 'flannel-backend', commands: ['server'], category: 'cluster', kind: 'string', default: 'vxlan', placeholder: 'BACKEND', check: checkFlannelBackend, help: 'how pods reach pods of other nodes: vxlan (works across routed networks), host-gw (routes; nodes on one L2 segment), none (bring your own)' },
  { name: 'disable-network-policy', commands: ['server'], category: 'cluster', kind: 'bool', default: 'false', help: 'do not enforce NetworkPolicies on the nodes' },
  { name: 'disable-kube-proxy', commands: ['server'], category: 'cluster', kind: 'bool', default: 'false', help: 'do not run the service proxy on the nodes (bring your own)' },

  // Datastore
  { name: 'datastore-endpoint', commands: ['server', ...SNAPSHOT_STORE], category: 'datastore', kind: 'string', defaultText: 'sqlite in DATA_DIR/server/db', placeholder: 'URL', check: checkDatastore, help: 'sqlite:///path.db, or etcd://host:port[,host:port] for an external etcd cluster' },
  { name: 'etcd-listen-client-url', commands: ['server'], category: 'datastore', kind: 'string', placeholder: 'URL', check: checkEtcdListenUrl, help: 'also serve the datastore over the etcd v3 API here: http://IP[:PORT] (port 2379 if absent) or unix:///path' },
  { name: 'datastore-volatile-prefix', commands: ['server', ...SNAPSHOT_STORE], category: 'datastore', kind: 'list', default: ['/registry/leases/', '/registry/events/'], placeholder: 'PREFIX', check: checkVolatilePrefix, help: 'keys under this prefix live in memory and are checkpointed to disk, so heartbeats cost the disk nothing; "none" keeps every key durable (repeatable; sqlite only)' },
  { name: 'datastore-checkpoint-interval', commands: ['server'], category: 'datastore', kind: 'duration', default: '10m', placeholder: 'DURATION', help: 'how often volatile keys are written to disk (also at every clean shutdown)' },

  // Kubernetes components
  { name: 'default-not-ready-toleration-seconds', commands: ['server'], category: 'components', kind: 'count', default: '300', placeholder: 'N', help: 'tolerationSeconds added to pods for node.kubernetes.io/not-ready' },
  { name: 'default-unreachable-toleration-seconds', commands: ['server'], category: 'components', kind: 'count', default: '300', placeholder: 'N', help: 'tolerationSeconds added to pods for node.kubernetes.io/unreachable' },
  { name: 'disable-scheduler', commands: ['server'], category: 'components', kind: 'bool', default: 'false', help: 'do not run the scheduler in this server' },
  { name: 'disable-controller-manager', commands: ['server'], category: 'components', kind: 'bool', default: 'false', help: 'do not run the controllers in this server' },
  { name: 'node-monitor-grace-period', commands: ['server'], category: 'components', kind: 'duration', default: '40s', placeholder: 'DURATION', help: 'how long a silent node stays Ready' },

  // Node
  { name: 'node-name', commands: [...NODE, 'etcd-snapshot save', 'etcd-snapshot prune'], category: 'node', kind: 'string', defaultText: 'host name', placeholder: 'NAME', check: checkDnsSubdomain, agentOnly: true, help: 'name of this node' },
  { name: 'node-label', commands: NODE, category: 'node', kind: 'list', default: [], placeholder: 'KEY=VALUE', check: checkNodeLabel, agentOnly: true, help: 'label registered on this node (repeatable)' },
  { name: 'node-taint', commands: NODE, category: 'node', kind: 'list', default: [], placeholder: 'KEY=VALUE:EFFECT', check: checkNodeTaint, agentOnly: true, help: 'taint registered on this node (repeatable)' },
  { name: 'node-ip', commands: NODE, category: 'node', kind: 'ip', defaultText: 'address of the default route', placeholder: 'IP', agentOnly: true, help: 'IP address of this node' },
  { name: 'kubelet-port', commands: NODE, category: 'node', kind: 'port', default: '10250', placeholder: 'PORT', agentOnly: true, help: 'port of the kubelet API' },
  { name: 'container-runtime-endpoint', commands: NODE, category: 'node', kind: 'string', defaultText: 'a managed containerd', placeholder: 'SOCKET', check: checkSocket, agentOnly: true, help: 'use this CRI socket instead of managing containerd' },
  { name: 'flannel-iface', commands: NODE, category: 'node', kind: 'string', defaultText: 'the interface holding node-ip', placeholder: 'NAME', check: checkInterfaceName, agentOnly: true, help: 'interface other nodes reach this one through (its address carries VXLAN traffic)' },

  // Joining
  { name: 'server', env: ['TSK_URL'], commands: ['server', 'agent join', 'simulate'], category: 'join', kind: 'url', placeholder: 'URL', help: 'URL of the server to join, https://host:6443 (on `tsk server`: join that server\'s cluster as another server, sharing its CA; needs --token and the same --datastore-endpoint)' },

  // Simulation
  { name: 'nodes', commands: ['simulate'], category: 'simulate', kind: 'count', placeholder: 'N', help: 'number of simulated nodes' },
  { name: 'name-prefix', commands: ['simulate'], category: 'simulate', kind: 'string', default: 'sim-', placeholder: 'PREFIX', check: checkNamePrefix, help: 'simulated nodes are named PREFIX0, PREFIX1, ...' },

  // Certificates
  { name: 'service', commands: ['certificate rotate'], category: 'certificate', kind: 'list', default: [], placeholder: 'NAME', check: checkCertService, help: `rotate only this service's certificates (repeatable): ${ALL_SERVICES.join(', ')}` },

  // Snapshots (k3s's names; on the etcd-snapshot commands the etcd- prefix may be left out, as in k3s)
  { name: 'etcd-snapshot-dir', commands: ['server', ...SNAPSHOT], category: 'snapshot', kind: 'path', defaultText: 'DATA_DIR/server/db/snapshots', placeholder: 'DIR', help: 'folder of the datastore snapshots' },
  { name: 'dir', env: [], commands: SNAPSHOT, category: 'snapshot', kind: 'path', placeholder: 'DIR', help: 'same as --etcd-snapshot-dir' },
  { name: 'name', env: [], commands: ['etcd-snapshot save', 'etcd-snapshot prune'], category: 'snapshot', kind: 'string', default: 'on-demand', placeholder: 'NAME', check: checkDnsSubdomain, help: 'base name of the snapshot (save) or of the snapshots to prune' },
  { name: 'etcd-snapshot-compress', commands: ['server', 'etcd-snapshot save'], category: 'snapshot', kind: 'bool', default: 'false', help: 'gzip the snapshots' },
  { name: 'snapshot-compress', env: [], commands: ['etcd-snapshot save'], category: 'snapshot', kind: 'bool', default: 'false', help: 'same as --etcd-snapshot-compress' },
  { name: 'etcd-snapshot-retention', commands: ['server', 'etcd-snapshot prune'], category: 'snapshot', kind: 'count', default: '5', placeholder: 'N', help: 'scheduled snapshots to keep (0: all)' },
  { name: 'snapshot-retention', env: [], commands: ['etcd-snapshot prune'], category: 'snapshot', kind: 'count', placeholder: 'N', help: 'same as --etcd-snapshot-retention' },
  { name: 'etcd-snapshot-name', commands: ['server'], category: 'snapshot', kind: 'string', default: 'etcd-snapshot', placeholder: 'NAME', check: checkDnsSubdomain, help: 'base name of scheduled snapshots' },
  { name: 'etcd-snapshot-schedule-cron', commands: ['server'], category: 'snapshot', kind: 'string', default: '0 */12 * * *', placeholder: 'CRON', check: checkCron, help: 'when scheduled snapshots are taken (cron, local time)' },
  { name: 'etcd-disable-snapshots', commands: ['server'], category: 'snapshot', kind: 'bool', default: 'false', help: 'take no scheduled snapshots' },
  { name: 'cluster-reset', commands: ['server'], category: 'snapshot', kind: 'bool', default: 'false', cliOnly: true, help: 'with --cluster-reset-restore-path: restore that snapshot into the datastore and exit (as k3s)' },
  { name: 'cluster-reset-restore-path', commands: ['server'], category: 'snapshot', kind: 'path', cliOnly: true, placeholder: 'FILE', help: 'the snapshot --cluster-reset restores (same as tsk etcd-snapshot restore FILE)' },
] as const satisfies readonly FlagSpec[];

function checkDatastore(value: string): void {
  try {
    parseDatastoreEndpoint(value, '/');
  } catch (err) {
    // open.ts's message starts with "--datastore-endpoint <value>:"; keep the reason only.
    throw new ValueError((err as Error).message.replace(/^--datastore-endpoint \S*: /, ''));
  }
}

/** A key prefix, or "none" alone to keep every key durable. */
function checkVolatilePrefix(value: string): void {
  if (value === 'none') return;
  if (!value.startsWith('/') || value.length < 2) throw new ValueError(`"${value}" is not a key prefix such as /registry/leases/ (or "none")`);
}

/** The forms etcd's --listen-client-urls takes that the facade serves (no TLS yet). */
function checkEtcdListenUrl(value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (url?.protocol === 'unix:' && `${url.host}${url.pathname}` !== '') return;
  if (url?.protocol === 'https:') throw new ValueError(`only http:// and unix:// are served for now (no TLS yet), got "${value}"`);
  if (url?.protocol !== 'http:' || url.hostname === '' || (url.pathname !== '/' && url.pathname !== '')) {
    throw new ValueError(`must be http://IP[:PORT] or unix:///path, got "${value}"`);
  }
}

function checkSocket(value: string): void {
  if (/^[a-z]+:\/\//.test(value) && !value.startsWith('unix://')) {
    throw new ValueError(`must be a unix socket path or unix:///path, got "${value}"`);
  }
}

function checkCertService(value: string): void {
  if (!isCertService(value)) throw new ValueError(`"${value}" is not one of ${ALL_SERVICES.join(', ')}`);
}

function checkCron(value: string): void {
  try {
    parseSchedule(value);
  } catch (err) {
    throw new ValueError(`"${value}" is not a cron schedule: ${(err as Error).message}`);
  }
}

function checkNamePrefix(value: string): void {
  checkDnsSubdomain(`${value}0`);
}

type Table = (typeof FLAGS)[number];
export type FlagName = Table['name'];
type SpecOf<N extends FlagName> = Extract<Table, { name: N }>;

/** The type of a flag's value: undefined is possible only for flags without a default. */
export type FlagValue<N extends FlagName> =
  | KindValue[SpecOf<N>['kind']]
  | (SpecOf<N> extends { default: unknown } ? never : undefined);

const BY_NAME = new Map<string, FlagSpec>(FLAGS.map((f) => [f.name, f]));

export function flagSpec(name: string): FlagSpec | undefined {
  return BY_NAME.get(name);
}

export function flagsOf(command: CommandName): FlagSpec[] {
  return FLAGS.filter((f: FlagSpec) => f.commands.includes(command));
}

export function envVarsOf(flag: FlagSpec): readonly string[] {
  return flag.cliOnly ? [] : (flag.env ?? [`TSK_${flag.name.toUpperCase().replace(/-/g, '_')}`]);
}
