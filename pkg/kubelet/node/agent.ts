/**
 * kubelet's node status manager: registers the Node (labels, taints), then every
 * RENEW_INTERVAL_MS renews its Lease in kube-node-lease (the heartbeat the node lifecycle
 * controller watches) and computes the node status, writing it only when it differs from the
 * cluster's copy (conditions, resources, addresses, images…) or STATUS_REPORT_MS have passed
 * since the last write: a quiet node costs one small Lease write per 10 s, easy on flash and
 * on the datastore.
 */
import os from 'node:os';
import type { KObject } from '../../api/types.ts';
import { isClientError, resourcePath, type Client } from '../../client/client.ts';
import { withQuery } from '../../client/paths.ts';
import { VERSION } from '../../cli/version.ts';
import { logger, type Logger } from '../../log/log.ts';
import { KUBELET_VERSION, LEASE_DURATION_SECONDS, LEASE_NAMESPACE, microTime } from '../../simulate/node.ts';
import { cpuCount, defaultNodeIp, diskUsage, hostIdentity, hugepages, meminfo, type HostIdentity } from './host.ts';
import {
  ARCH, defaultLabels, EVICTION_MEMORY_BYTES, EVICTION_NODEFS_FRACTION, nodeConditions, nodeImages, nodeObject, parseLabels, parseTaints,
  resources, significant, type CriImage, type Readiness,
} from './status.ts';
import { ANN_STORAGE_DIR } from '../../controllers/localpath/volume.ts';

/** kubelet's nodeLeaseRenewInterval (a quarter of the 40 s lease) and nodeStatusUpdateFrequency. */
export const RENEW_INTERVAL_MS = 10_000;
/** kubelet's nodeStatusReportFrequency: an unchanged status is written this often. */
export const STATUS_REPORT_MS = 5 * 60_000;
const REGISTER_RETRY_MAX_MS = 10_000;
/**
 * kubelet's fast status updates at start: until the node is Ready its status is looked at this
 * often (kubelet: 100 ms), so a new node turns Ready as soon as its runtime and network are,
 * not at the next 10 s tick. A read from the API server's cache and a CRI Status call each time.
 */
export const FAST_STATUS_MS = 250;
/** Fast updates give up after this long without Ready (kubelet: 2 min); the normal tick goes on. */
export const FAST_STATUS_LIMIT_MS = 120_000;

export interface NodeAgentDeps {
  /** Credentials of this node (system:node:NAME) or the server's own. */
  client: Client;
  nodeName: string;
  /** The agent's data dir: ephemeral-storage is its filesystem. */
  dataDir: string;
  /** --node-ip; default: the default route's interface address. */
  nodeIp?: string;
  /** --node-label values, key=value. */
  nodeLabels?: string[];
  /** --node-taint values, key[=value]:Effect. */
  nodeTaints?: string[];
  /** The server's embedded agent: node-role.kubernetes.io/control-plane and master labels, as k3s sets them. */
  controlPlane?: boolean;
  /** Where local-path volumes of this node live (DATA_DIR/storage), published as a Node annotation for the provisioner. */
  storageDir?: string;
  /** --kubelet-port (daemonEndpoints.kubeletEndpoint.Port). */
  kubeletPort?: number;
  /** CRI Version as `<runtimeName>://<runtimeVersion>`, e.g. containerd://1.6.20. */
  runtimeVersion: () => Promise<string>;
  /** CRI ListImages' images. */
  listImages: () => Promise<CriImage[]>;
  /** Runtime and network readiness (CRI Status); not ready keeps the node NotReady with the message. */
  readiness: () => Promise<Readiness>;
  log?: Logger;
  now?: () => number;
  /** Tests shorten it; kubelet's is 10 s. */
  renewIntervalMs?: number;
  /** Tests shorten it. */
  fastStatusMs?: number;
}

const nodesPath = (name?: string, subresource?: string) => resourcePath({ version: 'v1', resource: 'nodes', name, subresource });
const leasePath = (name?: string) => resourcePath({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: LEASE_NAMESPACE, name });

export class NodeAgent {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly identity: HostIdentity = hostIdentity();
  /** The node's InternalIP (--node-ip or the default route's address): pods' status.hostIP. */
  readonly nodeIp: string;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private busy = false;
  private nodeUid: string | undefined;
  private leaseVersion: string | undefined;
  private lastReport = -Infinity;
  private runtimeVersionText: string | undefined;
  private images: CriImage[] = [];
  private gone = false;
  private ready = false;
  /** How many status writes this agent made (for tests and --debug). */
  statusWrites = 0;

  constructor(private readonly deps: NodeAgentDeps) {
    this.log = deps.log ?? logger('kubelet');
    this.now = deps.now ?? Date.now;
    this.nodeIp = deps.nodeIp || defaultNodeIp();
  }

  /** Node allocatable now (for the downward API and memory-backed volumes of containers without limits). */
  allocatable(): Record<string, string> {
    return resources(this.hostResources()).allocatable;
  }

  /**
   * Registers the Node (retrying until it succeeds or stop() is called), reports its status,
   * takes the Lease, then keeps both current. Resolves once registered.
   */
  async start(): Promise<void> {
    for (let delay = 500; !this.stopped; delay = Math.min(delay * 2, REGISTER_RETRY_MAX_MS)) {
      try {
        await this.register();
        await this.tick();
        break;
      } catch (err) {
        this.log.warn(`registering node ${this.deps.nodeName}: ${(err as Error).message}; trying again in ${delay / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    if (this.stopped) return;
    this.log.info(`node ${this.deps.nodeName} registered (${this.nodeIp})`);
    this.timer = setInterval(() => void this.guardedTick(), this.deps.renewIntervalMs ?? RENEW_INTERVAL_MS);
    void this.fastStatusUntilReady();
  }

  private async fastStatusUntilReady(): Promise<void> {
    const deadline = this.now() + FAST_STATUS_LIMIT_MS;
    while (!this.ready && !this.stopped && !this.gone && this.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, this.deps.fastStatusMs ?? FAST_STATUS_MS));
      if (this.busy || this.stopped) continue;
      this.busy = true;
      try {
        await this.reportStatus();
      } catch {
        // The normal tick reports failures; this loop only hurries a good outcome.
      } finally {
        this.busy = false;
      }
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private labels(): Record<string, string> {
    const roles: Record<string, string> = this.deps.controlPlane ? { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true' } : {};
    return { ...defaultLabels(this.deps.nodeName), ...roles, ...parseLabels(this.deps.nodeLabels ?? []) };
  }

  /**
   * Creates the Node. One left by an earlier run keeps its labels and taints (as with k3s,
   * --node-label/--node-taint apply at registration) but gets kubelet's default labels again.
   */
  private async register(): Promise<void> {
    const name = this.deps.nodeName;
    try {
      const node = nodeObject({ name, labels: this.labels(), taints: parseTaints(this.deps.nodeTaints ?? []) });
      if (this.deps.storageDir) node.metadata.annotations![ANN_STORAGE_DIR] = this.deps.storageDir;
      const created = await this.deps.client.create(nodesPath(), node);
      this.nodeUid = created.metadata.uid;
      return;
    } catch (err) {
      if (!isClientError(err, 'AlreadyExists')) throw err;
    }
    const existing = await this.deps.client.get(nodesPath(name));
    this.nodeUid = existing.metadata.uid;
    const defaults = defaultLabels(name);
    if (Object.entries(defaults).some(([k, v]) => existing.metadata.labels?.[k] !== v)) {
      await this.deps.client.patch(nodesPath(name), { metadata: { labels: defaults } }, 'merge');
    }
    // The data dir may have moved since the Node was made.
    const storageDir = this.deps.storageDir;
    if (storageDir && existing.metadata.annotations?.[ANN_STORAGE_DIR] !== storageDir) {
      await this.deps.client.patch(nodesPath(name), { metadata: { annotations: { [ANN_STORAGE_DIR]: storageDir } } }, 'merge');
    }
  }

  private async guardedTick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      await this.tick();
    } catch (err) {
      this.log.warn(`node ${this.deps.nodeName}: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** Status (when changed or due), then the Lease: a failed status write does not stop the heartbeat. */
  private async tick(): Promise<void> {
    if (this.gone) return;
    let failure: unknown;
    try {
      await this.reportStatus();
    } catch (err) {
      failure = err;
    }
    if (!this.gone) await this.renewLease();
    if (failure) throw failure;
  }

  private async reportStatus(): Promise<void> {
    let current: KObject;
    try {
      // resourceVersion=0: the API server's cache answers; a read per 10 s costs the datastore nothing.
      current = await this.deps.client.get(withQuery(nodesPath(this.deps.nodeName), { resourceVersion: '0' }));
    } catch (err) {
      if (!isClientError(err, 'NotFound')) throw err;
      // As kubelet: no registration again until restarted, and no Lease for a missing Node.
      this.gone = true;
      this.log.warn(`node ${this.deps.nodeName} was deleted: heartbeats stop; restart the agent to register it again`);
      return;
    }
    this.nodeUid = current.metadata.uid;
    const status = await this.status(current.status?.conditions);
    this.ready = (status.conditions as { type: string; status: string }[]).some((c) => c.type === 'Ready' && c.status === 'True');
    if (significant(status) === significant(current.status) && this.now() - this.lastReport < STATUS_REPORT_MS) return;
    // Strategic: conditions and addresses merge by type, so what others add (NetworkUnavailable) stays.
    await this.deps.client.patch(nodesPath(this.deps.nodeName, 'status'), { status }, 'strategic');
    this.lastReport = this.now();
    this.statusWrites++;
  }

  private hostResources() {
    return {
      cpus: cpuCount(),
      memoryBytes: meminfo('MemTotal') ?? os.totalmem(),
      ephemeralStorageBytes: diskUsage(this.deps.dataDir).capacityBytes,
      hugepages: hugepages(),
    };
  }

  private async status(previous: KObject['status']['conditions']): Promise<Record<string, unknown>> {
    const host = this.hostResources();
    const disk = diskUsage(this.deps.dataDir);
    const pressure = {
      memory: (meminfo('MemAvailable') ?? Infinity) < EVICTION_MEMORY_BYTES,
      disk: disk.availableBytes < disk.capacityBytes * EVICTION_NODEFS_FRACTION,
      // kubelet has no default pid.available eviction threshold on Linux.
      pid: false,
    };
    const readiness = await this.deps.readiness().catch((err: Error): Readiness => ({ ready: false, message: err.message }));
    if (!this.runtimeVersionText) this.runtimeVersionText = await this.deps.runtimeVersion().catch(() => undefined);
    // A failing listing keeps the last known images rather than reporting none.
    this.images = await this.deps.listImages().catch(() => this.images);
    return {
      ...resources(host),
      conditions: nodeConditions(readiness, pressure, previous, this.now()),
      addresses: [{ type: 'InternalIP', address: this.nodeIp }, { type: 'Hostname', address: this.deps.nodeName }],
      daemonEndpoints: { kubeletEndpoint: { Port: this.deps.kubeletPort ?? 10250 } },
      nodeInfo: {
        ...this.identity,
        containerRuntimeVersion: this.runtimeVersionText ?? '',
        kubeletVersion: `${KUBELET_VERSION}+tsk${VERSION}`,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: ARCH,
      },
      images: nodeImages(this.images),
    };
  }

  /** Renews the Lease (creating it the first time); after a conflict the next turn starts from a fresh read. */
  private async renewLease(): Promise<void> {
    const name = this.deps.nodeName;
    const lease: KObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: LEASE_NAMESPACE,
        // As kubelet: the Lease goes when its Node does.
        ...(this.nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: this.nodeUid }] } : {}),
      },
      spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(this.now()) },
    };
    if (this.leaseVersion === undefined) {
      try {
        this.leaseVersion = (await this.deps.client.create(leasePath(), lease)).metadata.resourceVersion;
        return;
      } catch (err) {
        if (!isClientError(err, 'AlreadyExists')) throw err;
        this.leaseVersion = (await this.deps.client.get(leasePath(name))).metadata.resourceVersion;
      }
    }
    try {
      this.leaseVersion = (await this.deps.client.update(leasePath(name), { ...lease, metadata: { ...lease.metadata, resourceVersion: this.leaseVersion } })).metadata.resourceVersion;
    } catch (err) {
      this.leaseVersion = undefined;
      throw err;
    }
  }
}
