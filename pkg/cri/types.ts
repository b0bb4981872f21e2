/**
 * The shapes of CRI v1 requests and responses as CriClient sends and returns them: the
 * proto's fields in camelCase, 64-bit integers as numbers, enums as their names, bytes as
 * Buffers. Only the fields pkg/cri/proto.ts keeps are here.
 *
 * Responses carry every scalar, list and map field (zero values when the runtime left them
 * out) and null for a message field the runtime left out. Requests may leave out any field
 * marked optional; the runtime sees its zero value.
 */

export type Labels = Record<string, string>;

export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';
export type ProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost';

// ---- shared by requests and responses ----

export interface Int64Value {
  value: number;
}

export interface UInt64Value {
  value: number;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface ImageSpec {
  /** A reference (`docker.io/library/busybox:1.36`) or an image ID (`sha256:…`). */
  image: string;
  annotations?: Labels;
  userSpecifiedImage?: string;
  runtimeHandler?: string;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: MountPropagation;
  recursiveReadOnly?: boolean;
}

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
}

export interface HugepageLimit {
  pageSize: string;
  limit: number;
}

/** 0 / empty means "not specified" for every field. */
export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  hugepageLimits?: HugepageLimit[];
  /** cgroup v2 files, e.g. `{ 'memory.max': '6937202688' }`. */
  unified?: Labels;
  memorySwapLimitInBytes?: number;
}

// ---- pod sandbox configuration (requests) ----

export interface DnsConfig {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

export interface PortMapping {
  protocol?: Protocol;
  containerPort: number;
  /** 0: not exposed on the host. */
  hostPort?: number;
  hostIp?: string;
}

export interface SeLinuxOption {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

export interface SecurityProfile {
  profileType: ProfileType;
  /** For Localhost: the profile's path (seccomp) or name (AppArmor). */
  localhostRef?: string;
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SeLinuxOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  privileged?: boolean;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface LinuxPodSandboxConfig {
  cgroupParent?: string;
  securityContext?: LinuxSandboxSecurityContext;
  sysctls?: Labels;
  overhead?: LinuxContainerResources;
  resources?: LinuxContainerResources;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  /** May be empty only with a NODE network namespace. */
  hostname?: string;
  /** Directory on the host where container logs go (ContainerConfig.logPath is relative to it). */
  logDirectory?: string;
  dnsConfig?: DnsConfig;
  portMappings?: PortMapping[];
  labels?: Labels;
  annotations?: Labels;
  linux?: LinuxPodSandboxConfig;
}

// ---- container configuration (requests) ----

export interface KeyValue {
  key: string;
  value: string;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  /** Any of r, w, m. */
  permissions?: string;
}

export interface Capability {
  addCapabilities?: string[];
  dropCapabilities?: string[];
  addAmbientCapabilities?: string[];
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SeLinuxOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface LinuxContainerConfig {
  resources?: LinuxContainerResources;
  securityContext?: LinuxContainerSecurityContext;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  /** The entrypoint; empty: the image's. */
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: Labels;
  annotations?: Labels;
  /** Relative to PodSandboxConfig.logDirectory. */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: LinuxContainerConfig;
}

// ---- runtime ----

export interface VersionResponse {
  version: string;
  /** "containerd" */
  runtimeName: string;
  runtimeVersion: string;
  /** "v1" */
  runtimeApiVersion: string;
}

export interface RuntimeCondition {
  /** RuntimeReady or NetworkReady are the ones the kubelet requires. */
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface StatusResponse {
  status: { conditions: RuntimeCondition[] } | null;
  /** JSON values, filled only when asked verbose. */
  info: Labels;
}

// ---- pod sandboxes ----

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt: number;
  labels: Labels;
  annotations: Labels;
  runtimeHandler: string;
}

export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  labelSelector?: Labels;
}

export interface PodSandboxNetworkStatus {
  ip: string;
  additionalIps: { ip: string }[];
}

export interface PodSandboxStatus extends PodSandbox {
  /** Null or empty ip for host-network sandboxes. */
  network: PodSandboxNetworkStatus | null;
  linux: { namespaces: { options: Required<NamespaceOption> | null } | null } | null;
}

export interface PodSandboxStatusResponse {
  status: PodSandboxStatus | null;
  info: Labels;
}

// ---- containers ----

/** An ImageSpec as the runtime answers it: every field there. */
export interface ReceivedImageSpec extends ImageSpec {
  annotations: Labels;
  userSpecifiedImage: string;
  runtimeHandler: string;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata | null;
  image: ReceivedImageSpec | null;
  imageRef: string;
  state: ContainerState;
  /** Nanoseconds since the epoch. */
  createdAt: number;
  labels: Labels;
  annotations: Labels;
  imageId: string;
}

export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  podSandboxId?: string;
  labelSelector?: Labels;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata | null;
  state: ContainerState;
  /** Nanoseconds since the epoch; startedAt and finishedAt are 0 until they happen. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: ReceivedImageSpec | null;
  imageRef: string;
  /** "OOMKilled", "Completed", "Error"… */
  reason: string;
  message: string;
  labels: Labels;
  annotations: Labels;
  mounts: Mount[];
  /** Absolute path of the CRI-format log file. */
  logPath: string;
  resources: { linux: LinuxContainerResources | null } | null;
  imageId: string;
}

export interface ContainerStatusResponse {
  status: ContainerStatus | null;
  info: Labels;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

/** What Exec, Attach and PortForward prepare: a URL on the runtime's streaming server. */
export interface StreamingUrl {
  url: string;
}

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  stdout?: boolean;
  /** Must be false with tty. */
  stderr?: boolean;
}

export interface AttachRequest {
  containerId: string;
  stdin?: boolean;
  /** Must match the container's ContainerConfig.tty. */
  tty?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

// ---- stats ----

export interface CpuUsage {
  timestamp: number;
  usageCoreNanoSeconds: UInt64Value | null;
  usageNanoCores: UInt64Value | null;
}

export interface MemoryUsage {
  timestamp: number;
  workingSetBytes: UInt64Value | null;
  availableBytes: UInt64Value | null;
  usageBytes: UInt64Value | null;
  rssBytes: UInt64Value | null;
  pageFaults: UInt64Value | null;
  majorPageFaults: UInt64Value | null;
}

export interface FilesystemUsage {
  timestamp: number;
  fsId: { mountpoint: string } | null;
  usedBytes: UInt64Value | null;
  inodesUsed: UInt64Value | null;
}

export interface ContainerAttributes {
  id: string;
  metadata: ContainerMetadata | null;
  labels: Labels;
  annotations: Labels;
}

export interface ContainerStats {
  attributes: ContainerAttributes | null;
  cpu: CpuUsage | null;
  memory: MemoryUsage | null;
  writableLayer: FilesystemUsage | null;
}

export interface ContainerStatsFilter {
  id?: string;
  podSandboxId?: string;
  labelSelector?: Labels;
}

export interface NetworkInterfaceUsage {
  name: string;
  rxBytes: UInt64Value | null;
  rxErrors: UInt64Value | null;
  txBytes: UInt64Value | null;
  txErrors: UInt64Value | null;
}

export interface PodSandboxStats {
  attributes: { id: string; metadata: PodSandboxMetadata | null; labels: Labels; annotations: Labels } | null;
  linux: {
    cpu: CpuUsage | null;
    memory: MemoryUsage | null;
    network: { timestamp: number; defaultInterface: NetworkInterfaceUsage | null; interfaces: NetworkInterfaceUsage[] } | null;
    process: { timestamp: number; processCount: UInt64Value | null } | null;
    containers: ContainerStats[];
  } | null;
}

export interface PodSandboxStatsFilter {
  id?: string;
  labelSelector?: Labels;
}

// ---- images ----

export interface Image {
  /** The image ID (`sha256:…`): what Container.imageId and PullImage's imageRef name. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  /** The image's user when numeric; otherwise username is set. */
  uid: Int64Value | null;
  username: string;
  spec: ReceivedImageSpec | null;
  pinned: boolean;
}

export interface ImageStatusResponse {
  /** Null when the runtime does not have the image (not an error). */
  image: Image | null;
  info: Labels;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface ImageFsInfoResponse {
  imageFilesystems: FilesystemUsage[];
  containerFilesystems: FilesystemUsage[];
}

// ---- requests and responses of each RPC (empty responses become void in CriClient) ----

export interface VersionRequest {
  /** The kubelet's CRI client version; containerd ignores it. */
  version?: string;
}

export interface StatusRequest {
  verbose?: boolean;
}

export interface RunPodSandboxRequest {
  config: PodSandboxConfig;
  /** Empty: the runtime's default handler (runc). */
  runtimeHandler?: string;
}

export interface RunPodSandboxResponse {
  podSandboxId: string;
}

export interface PodSandboxIdRequest {
  podSandboxId: string;
}

export interface PodSandboxStatusRequest {
  podSandboxId: string;
  verbose?: boolean;
}

export interface ListPodSandboxRequest {
  filter?: PodSandboxFilter;
}

export interface ListPodSandboxResponse {
  items: PodSandbox[];
}

export interface CreateContainerRequest {
  podSandboxId: string;
  config: ContainerConfig;
  /** The config the sandbox was run with. */
  sandboxConfig: PodSandboxConfig;
}

export interface CreateContainerResponse {
  containerId: string;
}

export interface ContainerIdRequest {
  containerId: string;
}

export interface StopContainerRequest {
  containerId: string;
  /** Seconds to wait after the stop signal before killing; 0 kills at once. */
  timeout?: number;
}

export interface ListContainersRequest {
  filter?: ContainerFilter;
}

export interface ListContainersResponse {
  containers: Container[];
}

export interface ContainerStatusRequest {
  containerId: string;
  verbose?: boolean;
}

export interface UpdateContainerResourcesRequest {
  containerId: string;
  linux?: LinuxContainerResources;
  annotations?: Labels;
}

export interface ExecSyncRequest {
  containerId: string;
  cmd: string[];
  /** Seconds; 0 runs for ever. */
  timeout?: number;
}

export interface PortForwardRequest {
  podSandboxId: string;
  port?: number[];
}

export interface ContainerStatsResponse {
  stats: ContainerStats | null;
}

export interface ListContainerStatsRequest {
  filter?: ContainerStatsFilter;
}

export interface ListContainerStatsResponse {
  stats: ContainerStats[];
}

export interface PodSandboxStatsResponse {
  stats: PodSandboxStats | null;
}

export interface ListPodSandboxStatsRequest {
  filter?: PodSandboxStatsFilter;
}

export interface ListPodSandboxStatsResponse {
  stats: PodSandboxStats[];
}

export interface UpdateRuntimeConfigRequest {
  runtimeConfig: { networkConfig: { podCidr: string } };
}

export interface ListImagesRequest {
  filter?: { image?: ImageSpec };
}

export interface ListImagesResponse {
  images: Image[];
}

export interface ImageStatusRequest {
  image: ImageSpec;
  verbose?: boolean;
}

export interface PullImageRequest {
  image: ImageSpec;
  auth?: AuthConfig;
  sandboxConfig?: PodSandboxConfig;
}

export interface PullImageResponse {
  /** The image ID (`sha256:…`) as containerd 1.6 answers. */
  imageRef: string;
}

export interface RemoveImageRequest {
  image: ImageSpec;
}
