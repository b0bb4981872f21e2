/**
 * What the kubelet needs from its collaborators, declared where it is used.
 *
 * `RuntimeService` is the subset of CRI v1 (runtime.v1.RuntimeService + ImageService) the pod
 * workers call, in the shapes @grpc/proto-loader gives with { keepCase: false, longs: Number,
 * enums: String }: camelCase fields, int64 as number, enums as their names
 * ('CONTAINER_RUNNING', 'SANDBOX_READY', 'NODE'), bytes as Buffer. pkg/cri's client satisfies
 * it structurally; unit tests pass a fake. Answers are read defensively (fields optional):
 * proto3 omits defaults unless the loader fills them in.
 *
 * `PodVolumes` and `EnvResolver` are implemented by pkg/kubelet/volumes and pkg/kubelet/env.ts.
 */
import type { KObject } from '../api/types.ts';

// ---- shared shapes ----

export interface KeyValue {
  key: string;
  value: string;
}

export interface Int64Value {
  value: number;
}

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  targetId?: string;
}

export interface SecurityProfile {
  profileType: 'RuntimeDefault' | 'Unconfined' | 'Localhost';
  localhostRef?: string;
}

export interface ImageSpec {
  image: string;
  annotations?: Record<string, string>;
  userSpecifiedImage?: string;
}

export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL';

/** A host path mounted into a container (CRI Mount). */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: MountPropagation;
}

// ---- sandboxes ----

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp?: string;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  unified?: Record<string, string>;
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  privileged?: boolean;
  seccomp?: SecurityProfile;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: DNSConfig;
  portMappings?: PortMapping[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux?: {
    cgroupParent?: string;
    securityContext?: LinuxSandboxSecurityContext;
    sysctls?: Record<string, string>;
    resources?: LinuxContainerResources;
  };
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandbox {
  id: string;
  metadata?: PodSandboxMetadata | null;
  state?: PodSandboxState;
  /** Nanoseconds since the epoch. */
  createdAt?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  runtimeHandler?: string;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip?: string; additionalIps?: { ip: string }[] } | null;
  linux?: { namespaces?: { options?: NamespaceOption | null } | null } | null;
}

export interface PodSandboxFilter {
  id?: string;
  state?: { state: PodSandboxState };
  labelSelector?: Record<string, string>;
}

// ---- containers ----

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface LinuxContainerSecurityContext {
  capabilities?: { addCapabilities?: string[]; dropCapabilities?: string[] };
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: SecurityProfile;
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  image: ImageSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Relative to the sandbox's logDirectory. */
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext };
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface Container {
  id: string;
  podSandboxId?: string;
  metadata?: ContainerMetadata | null;
  image?: ImageSpec | null;
  imageRef?: string;
  state?: ContainerState;
  createdAt?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ContainerStatus {
  id: string;
  metadata?: ContainerMetadata | null;
  state?: ContainerState;
  /** Nanoseconds since the epoch; 0 when it did not happen yet. */
  createdAt?: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number;
  image?: ImageSpec | null;
  imageRef?: string;
  /** e.g. 'Completed', 'Error', 'OOMKilled'. */
  reason?: string;
  message?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  logPath?: string;
}

export interface ContainerFilter {
  id?: string;
  state?: { state: ContainerState };
  podSandboxId?: string;
  labelSelector?: Record<string, string>;
}

// ---- images ----

export interface Image {
  id: string;
  repoTags?: string[];
  repoDigests?: string[];
  size?: number;
  uid?: Int64Value | null;
  username?: string;
}

/** The calls the pod workers make (a subset of runtime.v1.RuntimeService and ImageService). */
export interface RuntimeService {
  runPodSandbox(req: { config: PodSandboxConfig; runtimeHandler?: string }): Promise<{ podSandboxId: string }>;
  stopPodSandbox(req: { podSandboxId: string }): Promise<unknown>;
  removePodSandbox(req: { podSandboxId: string }): Promise<unknown>;
  podSandboxStatus(req: { podSandboxId: string; verbose?: boolean }): Promise<{ status?: PodSandboxStatus | null }>;
  listPodSandbox(req: { filter?: PodSandboxFilter }): Promise<{ items?: PodSandbox[] }>;
  createContainer(req: { podSandboxId: string; config: ContainerConfig; sandboxConfig: PodSandboxConfig }): Promise<{ containerId: string }>;
  startContainer(req: { containerId: string }): Promise<unknown>;
  /** timeout: seconds between SIGTERM (or the image's stop signal) and SIGKILL. */
  stopContainer(req: { containerId: string; timeout: number }): Promise<unknown>;
  removeContainer(req: { containerId: string }): Promise<unknown>;
  listContainers(req: { filter?: ContainerFilter }): Promise<{ containers?: Container[] }>;
  containerStatus(req: { containerId: string; verbose?: boolean }): Promise<{ status?: ContainerStatus | null }>;
  /** timeout: seconds; 0 means none. */
  execSync(req: { containerId: string; cmd: string[]; timeout: number }): Promise<{ stdout?: Buffer | Uint8Array; stderr?: Buffer | Uint8Array; exitCode?: number }>;
  imageStatus(req: { image: ImageSpec; verbose?: boolean }): Promise<{ image?: Image | null }>;
  /** `signal` cancels the pull (the pod was deleted meanwhile). */
  pullImage(req: { image: ImageSpec; sandboxConfig?: PodSandboxConfig }, options?: { signal?: AbortSignal }): Promise<{ imageRef: string }>;
}

// ---- volumes and environment ----

/**
 * The pod's volumes on this node. setUp is called on every sync of a running pod and must be
 * idempotent; it answers each container's CRI mounts (its volumeMounts resolved to host paths),
 * keyed by container name, init containers included. A volume that cannot be set up yet (a
 * missing ConfigMap) throws, after recording its FailedMount event: the pod stays
 * ContainerCreating and the sync is retried.
 */
export interface PodVolumes {
  setUp(pod: KObject): Promise<Map<string, Mount[]>>;
  /** Removes what setUp made for the pod (called once its containers stopped); idempotent. */
  tearDown(podUid: string): Promise<void>;
  /** UIDs of pods with something set up on disk: after a restart, those of deleted pods are torn down. */
  podUidsOnDisk?(): string[];
}

/**
 * A container's environment: env (value, configMapKeyRef, secretKeyRef, fieldRef,
 * resourceFieldRef), envFrom and service links, in Kubernetes' order. Throws with Kubernetes'
 * message (e.g. `configmap "x" not found`) when a required source is missing: the container
 * then waits with CreateContainerConfigError.
 */
export interface EnvResolver {
  envFor(pod: KObject, container: Record<string, unknown>): Promise<KeyValue[]>;
}
