/**
 * The kubelet's CRI v1 client: one gRPC channel over the runtime's unix socket serving both
 * RuntimeService and ImageService, one typed method per RPC, a deadline on every call, and
 * failures as CriError.
 */
import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { criPackageDefinition, IMAGE_SERVICE, RUNTIME_SERVICE } from './proto.ts';
import { CriError, toCriError } from './errors.ts';
import type * as cri from './types.ts';

export interface CriClientOptions {
  /** Deadline of a call (default 30 s). */
  timeoutMs?: number;
  /** Deadline of PullImage (default 2 min): pulls wait for the registry. */
  pullTimeoutMs?: number;
}

export interface CallOptions {
  /** This call's deadline instead of the client's. */
  timeoutMs?: number;
  /** Cancels the call (it fails with Cancelled), e.g. a pull for a pod deleted meanwhile. */
  signal?: AbortSignal;
}

/** What the kubelet announces in Version (its CRI client version, Kubernetes' kubeRuntimeAPIVersion). */
const KUBELET_RUNTIME_API_VERSION = '0.1.0';

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // One ExecSync answer carries stdout and stderr, each of which the runtime caps at 16 MiB.
  'grpc.max_receive_message_length': 16 * 1024 * 1024 * 2 + 1024,
  'grpc.max_send_message_length': 16 * 1024 * 1024,
  // A restarted containerd is back within a second: do not wait grpc's default minute.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1_000,
  'grpc.enable_channelz': 0,
};

type Service = typeof RUNTIME_SERVICE | typeof IMAGE_SERVICE;
type AnyMethod = MethodDefinition<object, unknown>;

/** `unix:///run/x.sock`, `unix:/run/x.sock` or a bare path → the gRPC target. */
function targetFor(endpoint: string): string {
  if (endpoint.startsWith('unix:')) return endpoint;
  return `unix://${endpoint}`;
}

export class CriClient {
  private readonly client: grpc.Client;
  private readonly methods: Record<Service, Record<string, AnyMethod>>;
  private readonly timeoutMs: number;
  private readonly pullTimeoutMs: number;
  private closed = false;

  private constructor(readonly endpoint: string, options: CriClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pullTimeoutMs = options.pullTimeoutMs ?? 120_000;
    const definition = criPackageDefinition();
    this.methods = {
      [RUNTIME_SERVICE]: definition[RUNTIME_SERVICE] as unknown as Record<string, AnyMethod>,
      [IMAGE_SERVICE]: definition[IMAGE_SERVICE] as unknown as Record<string, AnyMethod>,
    };
    this.client = new grpc.Client(targetFor(endpoint), grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  /**
   * A client for the runtime at `socketPath` (a path or a `unix://` URL). The channel connects
   * lazily and reconnects by itself, so this never fails; waitForReady tells when the runtime
   * answers.
   */
  static connect(socketPath: string, options: CriClientOptions = {}): CriClient {
    return new CriClient(socketPath, options);
  }

  /**
   * Resolves with Version's answer once the runtime serves CRI (containerd takes a moment after
   * its socket appears); rejects with the last failure after `timeoutMs`.
   */
  async waitForReady(timeoutMs = 60_000): Promise<cri.VersionResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      try {
        return await this.version({}, { timeoutMs: Math.max(1, Math.min(left, 2_000)) });
      } catch (err) {
        const failure = toCriError(err, 'RuntimeService/Version');
        if (this.closed || Date.now() + 100 >= deadline) {
          throw new CriError(failure.code, failure.rpc, `runtime at ${this.endpoint} not ready after ${timeoutMs} ms: ${failure.details}`, { cause: failure });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Closes the channel; later calls fail with Unavailable. */
  close(): void {
    this.closed = true;
    this.client.close();
  }

  // ---- RuntimeService ----

  version(request: cri.VersionRequest = {}, options?: CallOptions): Promise<cri.VersionResponse> {
    return this.runtime('Version', { version: KUBELET_RUNTIME_API_VERSION, ...request }, options);
  }

  status(request: cri.StatusRequest = {}, options?: CallOptions): Promise<cri.StatusResponse> {
    return this.runtime('Status', request, options);
  }

  runPodSandbox(request: cri.RunPodSandboxRequest, options?: CallOptions): Promise<cri.RunPodSandboxResponse> {
    return this.runtime('RunPodSandbox', request, options);
  }

  async stopPodSandbox(request: cri.PodSandboxIdRequest, options?: CallOptions): Promise<void> {
    await this.runtime('StopPodSandbox', request, options);
  }

  async removePodSandbox(request: cri.PodSandboxIdRequest, options?: CallOptions): Promise<void> {
    await this.runtime('RemovePodSandbox', request, options);
  }

  podSandboxStatus(request: cri.PodSandboxStatusRequest, options?: CallOptions): Promise<cri.PodSandboxStatusResponse> {
    return this.runtime('PodSandboxStatus', request, options);
  }

  listPodSandbox(request: cri.ListPodSandboxRequest = {}, options?: CallOptions): Promise<cri.ListPodSandboxResponse> {
    return this.runtime('ListPodSandbox', request, options);
  }

  createContainer(request: cri.CreateContainerRequest, options?: CallOptions): Promise<cri.CreateContainerResponse> {
    return this.runtime('CreateContainer', request, options);
  }

  async startContainer(request: cri.ContainerIdRequest, options?: CallOptions): Promise<void> {
    await this.runtime('StartContainer', request, options);
  }

  /** The deadline covers the grace period (`timeout` seconds) on top of the call's own. */
  async stopContainer(request: cri.StopContainerRequest, options?: CallOptions): Promise<void> {
    await this.runtime('StopContainer', request, this.extendedBy(request.timeout, options));
  }

  async removeContainer(request: cri.ContainerIdRequest, options?: CallOptions): Promise<void> {
    await this.runtime('RemoveContainer', request, options);
  }

  listContainers(request: cri.ListContainersRequest = {}, options?: CallOptions): Promise<cri.ListContainersResponse> {
    return this.runtime('ListContainers', request, options);
  }

  containerStatus(request: cri.ContainerStatusRequest, options?: CallOptions): Promise<cri.ContainerStatusResponse> {
    return this.runtime('ContainerStatus', request, options);
  }

  async updateContainerResources(request: cri.UpdateContainerResourcesRequest, options?: CallOptions): Promise<void> {
    await this.runtime('UpdateContainerResources', request, options);
  }

  async reopenContainerLog(request: cri.ContainerIdRequest, options?: CallOptions): Promise<void> {
    await this.runtime('ReopenContainerLog', request, options);
  }

  /** The deadline covers the command's own `timeout` seconds on top of the call's. */
  execSync(request: cri.ExecSyncRequest, options?: CallOptions): Promise<cri.ExecSyncResponse> {
    return this.runtime('ExecSync', request, this.extendedBy(request.timeout, options));
  }

  exec(request: cri.ExecRequest, options?: CallOptions): Promise<cri.StreamingUrl> {
    return this.runtime('Exec', request, options);
  }

  attach(request: cri.AttachRequest, options?: CallOptions): Promise<cri.StreamingUrl> {
    return this.runtime('Attach', request, options);
  }

  portForward(request: cri.PortForwardRequest, options?: CallOptions): Promise<cri.StreamingUrl> {
    return this.runtime('PortForward', request, options);
  }

  containerStats(request: cri.ContainerIdRequest, options?: CallOptions): Promise<cri.ContainerStatsResponse> {
    return this.runtime('ContainerStats', request, options);
  }

  listContainerStats(request: cri.ListContainerStatsRequest = {}, options?: CallOptions): Promise<cri.ListContainerStatsResponse> {
    return this.runtime('ListContainerStats', request, options);
  }

  podSandboxStats(request: cri.PodSandboxIdRequest, options?: CallOptions): Promise<cri.PodSandboxStatsResponse> {
    return this.runtime('PodSandboxStats', request, options);
  }

  listPodSandboxStats(request: cri.ListPodSandboxStatsRequest = {}, options?: CallOptions): Promise<cri.ListPodSandboxStatsResponse> {
    return this.runtime('ListPodSandboxStats', request, options);
  }

  /** Tells the runtime the node's pod CIDR (containerd hands it to CNI config templates). */
  async updateRuntimeConfig(request: cri.UpdateRuntimeConfigRequest, options?: CallOptions): Promise<void> {
    await this.runtime('UpdateRuntimeConfig', request, options);
  }

  // ---- ImageService ----

  listImages(request: cri.ListImagesRequest = {}, options?: CallOptions): Promise<cri.ListImagesResponse> {
    return this.image('ListImages', request, options);
  }

  /** `image` is null, not an error, when the runtime does not have it. */
  imageStatus(request: cri.ImageStatusRequest, options?: CallOptions): Promise<cri.ImageStatusResponse> {
    return this.image('ImageStatus', request, options);
  }

  pullImage(request: cri.PullImageRequest, options?: CallOptions): Promise<cri.PullImageResponse> {
    return this.image('PullImage', request, { ...options, timeoutMs: options?.timeoutMs ?? this.pullTimeoutMs });
  }

  async removeImage(request: cri.RemoveImageRequest, options?: CallOptions): Promise<void> {
    await this.image('RemoveImage', request, options);
  }

  imageFsInfo(options?: CallOptions): Promise<cri.ImageFsInfoResponse> {
    return this.image('ImageFsInfo', {}, options);
  }

  // ---- plumbing ----

  /** The call's deadline plus `seconds` the runtime itself may legitimately wait. */
  private extendedBy(seconds: number | undefined, options?: CallOptions): CallOptions {
    return { ...options, timeoutMs: (options?.timeoutMs ?? this.timeoutMs) + Math.max(0, seconds ?? 0) * 1000 };
  }

  private runtime<Res>(method: string, request: object, options?: CallOptions): Promise<Res> {
    return this.unary(RUNTIME_SERVICE, method, request, options);
  }

  private image<Res>(method: string, request: object, options?: CallOptions): Promise<Res> {
    return this.unary(IMAGE_SERVICE, method, request, options);
  }

  private unary<Res>(service: Service, method: string, request: object, options?: CallOptions): Promise<Res> {
    const rpc = `${service.slice('runtime.v1.'.length)}/${method}`;
    if (this.closed) return Promise.reject(new CriError('Unavailable', rpc, 'the CRI client is closed'));
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new CriError('Cancelled', rpc, 'cancelled before it was sent'));
    const definition = this.methods[service][method]!;
    const deadline = Date.now() + (options?.timeoutMs ?? this.timeoutMs);
    return new Promise<Res>((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline },
        (err, response) => {
          signal?.removeEventListener('abort', cancel);
          if (err) reject(toCriError(err, rpc));
          else resolve(response as Res);
        },
      );
      const cancel = () => call.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }
}
