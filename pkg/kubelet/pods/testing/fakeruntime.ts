/**
 * An in-memory CRI runtime for the pod workers' unit tests: sandboxes and containers with
 * states and timestamps from the test's clock, images by name, a log of calls in order, and
 * knobs for what a test needs to happen (a container exits, exec answers, a pull fails).
 */
import type { Container, ContainerConfig, ContainerFilter, ContainerState, ContainerStatus, Image, PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus, RuntimeService } from '../../runtime.ts';

interface FakeSandbox {
  id: string;
  config: PodSandboxConfig;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  createdAt: number;
  ip: string;
  /** A second family's address, for dual-stack tests. */
  ip6?: string;
}

interface FakeContainer {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
}

export type ExecHandler = (containerName: string, cmd: string[]) => { exitCode: number; stdout?: string };

const matches = (labels: Record<string, string> | undefined, selector: Record<string, string> | undefined) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

export class FakeRuntime implements RuntimeService {
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  /** Images on the node by name → ID. */
  readonly images = new Map<string, string>();
  /** The user an image's config names, by image name (none: root). */
  readonly imageUsers = new Map<string, { uid?: number; username?: string }>();
  /** Calls in order: "runPodSandbox <pod>", "createContainer <name>", "stopContainer <name> <timeout>", … */
  readonly calls: string[] = [];
  exec: ExecHandler = () => ({ exitCode: 0 });
  /** Set to make PullImage fail (no registry); unset, pulls add the image. */
  pullError: Error | undefined = new Error('failed to resolve reference: no registry');
  /** Set to make RunPodSandbox fail (a pod network that is not ready). */
  sandboxError: Error | undefined;
  /** Exit code of a container StopContainer kills. */
  stopExitCode = 137;
  /** While set, StopContainer with more than 1 s of grace waits until the container exits (a process ignoring SIGTERM). */
  holdStops = false;
  private readonly exitWaiters = new Map<string, (() => void)[]>();
  private seq = 0;

  constructor(private readonly now: () => number) {
    this.images.set('pause', 'sha256:pause');
  }

  private ns(): number {
    return this.now() * 1e6;
  }

  private nameOf(id: string): string {
    return this.containers.get(id)?.config.metadata.name ?? id;
  }

  /** The newest instance of a container by name (of any pod unless a pod UID is given). */
  latest(name: string, podUid?: string): FakeContainer | undefined {
    return [...this.containers.values()].filter((c) => c.config.metadata.name === name && (!podUid || c.config.labels?.['io.kubernetes.pod.uid'] === podUid)).sort((a, b) => b.createdAt - a.createdAt || b.config.metadata.attempt - a.config.metadata.attempt)[0];
  }

  /** Makes the newest running instance of `name` exit. */
  exitContainer(name: string, exitCode: number, reason = ''): void {
    const c = this.latest(name);
    if (!c || c.state !== 'CONTAINER_RUNNING') throw new Error(`no running container ${name}`);
    Object.assign(c, { state: 'CONTAINER_EXITED', exitCode, reason, finishedAt: this.ns() });
  }

  async runPodSandbox({ config }: { config: PodSandboxConfig }): Promise<{ podSandboxId: string }> {
    this.calls.push(`runPodSandbox ${config.metadata.namespace}/${config.metadata.name}`);
    if (this.sandboxError) throw this.sandboxError;
    const id = `sandbox${++this.seq}`;
    this.sandboxes.set(id, { id, config, state: 'SANDBOX_READY', createdAt: this.ns() + this.seq, ip: `10.42.0.${this.seq}` });
    return { podSandboxId: id };
  }

  async stopPodSandbox({ podSandboxId }: { podSandboxId: string }): Promise<unknown> {
    const s = this.sandboxes.get(podSandboxId);
    if (s?.state === 'SANDBOX_READY') this.calls.push(`stopPodSandbox ${s.config.metadata.name}`);
    if (s) s.state = 'SANDBOX_NOTREADY';
    for (const c of this.containers.values()) if (c.sandboxId === podSandboxId && c.state === 'CONTAINER_RUNNING') Object.assign(c, { state: 'CONTAINER_EXITED', exitCode: 137, finishedAt: this.ns() });
    return {};
  }

  async removePodSandbox({ podSandboxId }: { podSandboxId: string }): Promise<unknown> {
    this.calls.push(`removePodSandbox ${this.sandboxes.get(podSandboxId)?.config.metadata.name}`);
    this.sandboxes.delete(podSandboxId);
    return {};
  }

  async podSandboxStatus({ podSandboxId }: { podSandboxId: string }): Promise<{ status?: PodSandboxStatus | null }> {
    const s = this.sandboxes.get(podSandboxId);
    if (!s) throw new Error(`sandbox ${podSandboxId} not found`);
    return { status: { ...this.sandboxView(s), network: { ip: s.ip, additionalIps: s.ip6 ? [{ ip: s.ip6 }] : [] } } };
  }

  private sandboxView(s: FakeSandbox): PodSandbox {
    return { id: s.id, metadata: s.config.metadata, state: s.state, createdAt: s.createdAt, labels: s.config.labels, annotations: s.config.annotations };
  }

  async listPodSandbox({ filter }: { filter?: PodSandboxFilter }): Promise<{ items?: PodSandbox[] }> {
    return { items: [...this.sandboxes.values()].filter((s) => matches(s.config.labels, filter?.labelSelector)).map((s) => this.sandboxView(s)) };
  }

  async createContainer({ podSandboxId, config }: { podSandboxId: string; config: ContainerConfig; sandboxConfig: PodSandboxConfig }): Promise<{ containerId: string }> {
    if (!this.sandboxes.has(podSandboxId)) throw new Error(`sandbox ${podSandboxId} not found`);
    const id = `container${++this.seq}`;
    this.calls.push(`createContainer ${config.metadata.name}`);
    this.containers.set(id, { id, sandboxId: podSandboxId, config, state: 'CONTAINER_CREATED', createdAt: this.ns() + this.seq, startedAt: 0, finishedAt: 0, exitCode: 0, reason: '' });
    return { containerId: id };
  }

  async startContainer({ containerId }: { containerId: string }): Promise<unknown> {
    const c = this.containers.get(containerId)!;
    this.calls.push(`startContainer ${c.config.metadata.name}`);
    // As containerd does when the command cannot be run: the container exits with StartError.
    if (c.config.command?.[0] === 'missing-command') {
      Object.assign(c, { state: 'CONTAINER_EXITED', exitCode: 128, reason: 'StartError', finishedAt: this.ns() });
      throw new Error('failed to create containerd task: exec: "missing-command": executable file not found in $PATH');
    }
    Object.assign(c, { state: 'CONTAINER_RUNNING', startedAt: this.ns() });
    return {};
  }

  async stopContainer({ containerId, timeout }: { containerId: string; timeout: number }): Promise<unknown> {
    const c = this.containers.get(containerId);
    this.calls.push(`stopContainer ${this.nameOf(containerId)} ${timeout}`);
    if (!c || (c.state !== 'CONTAINER_RUNNING' && c.state !== 'CONTAINER_CREATED')) return {};
    if (this.holdStops && timeout > 1) {
      await new Promise<void>((resolve) => this.exitWaiters.set(containerId, [...(this.exitWaiters.get(containerId) ?? []), resolve]));
      return {};
    }
    Object.assign(c, { state: 'CONTAINER_EXITED', exitCode: this.stopExitCode, finishedAt: this.ns() });
    for (const resolve of this.exitWaiters.get(containerId) ?? []) resolve();
    this.exitWaiters.delete(containerId);
    return {};
  }

  async removeContainer({ containerId }: { containerId: string }): Promise<unknown> {
    this.calls.push(`removeContainer ${this.nameOf(containerId)}`);
    this.containers.delete(containerId);
    return {};
  }

  private containerView(c: FakeContainer): Container {
    return { id: c.id, podSandboxId: c.sandboxId, metadata: c.config.metadata, image: c.config.image, imageRef: c.config.image.image, state: c.state, createdAt: c.createdAt, labels: c.config.labels, annotations: c.config.annotations };
  }

  async listContainers({ filter }: { filter?: ContainerFilter }): Promise<{ containers?: Container[] }> {
    const out = [...this.containers.values()].filter((c) => matches(c.config.labels, filter?.labelSelector) && (!filter?.podSandboxId || c.sandboxId === filter.podSandboxId));
    return { containers: out.map((c) => this.containerView(c)) };
  }

  async containerStatus({ containerId }: { containerId: string }): Promise<{ status?: ContainerStatus | null }> {
    const c = this.containers.get(containerId);
    if (!c) throw new Error(`container ${containerId} not found`);
    const { createdAt, startedAt, finishedAt, exitCode, reason } = c;
    return { status: { ...this.containerView(c), createdAt, startedAt, finishedAt, exitCode, reason, logPath: c.config.logPath } };
  }

  async execSync({ containerId, cmd }: { containerId: string; cmd: string[]; timeout: number }): Promise<{ stdout?: Buffer; stderr?: Buffer; exitCode?: number }> {
    this.calls.push(`exec ${this.nameOf(containerId)} ${cmd.join(' ')}`);
    const res = this.exec(this.nameOf(containerId), cmd);
    return { stdout: Buffer.from(res.stdout ?? ''), stderr: Buffer.alloc(0), exitCode: res.exitCode };
  }

  async imageStatus({ image }: { image: { image: string } }): Promise<{ image?: Image | null }> {
    const id = this.images.get(image.image);
    const user = this.imageUsers.get(image.image);
    return { image: id ? { id, size: 1234, ...(user?.uid !== undefined ? { uid: { value: user.uid } } : {}), username: user?.username ?? '' } : null };
  }

  /** While set, PullImage waits until its signal cancels it (a registry that does not answer). */
  holdPulls = false;

  async pullImage({ image }: { image: { image: string } }, options?: { signal?: AbortSignal }): Promise<{ imageRef: string }> {
    this.calls.push(`pullImage ${image.image}`);
    if (this.holdPulls) {
      await new Promise<void>((resolve) => (options?.signal?.aborted ? resolve() : options?.signal?.addEventListener('abort', () => resolve(), { once: true })));
      throw new Error('Cancelled: pull cancelled');
    }
    if (this.pullError) throw this.pullError;
    const id = `sha256:${image.image.replace(/\W/g, '')}`;
    this.images.set(image.image, id);
    return { imageRef: id };
  }
}
