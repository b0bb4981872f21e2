/**
 * The pod volumes of this node (PodVolumes for the pod workers). Layout, as kubelet's:
 *
 *   DATA_DIR/agent/pods/<uid>/volumes/kubernetes.io~<plugin>/<volume name>
 *
 * emptyDir is a directory (a tmpfs for medium Memory, sized by sizeLimit or the node's
 * allocatable memory); secret and projected volumes sit on a tmpfs too when the host allows
 * mounting one, so credentials never reach the disk; configMap, secret, downwardAPI and
 * projected contents go through the atomic writer and are re-read at most every REFRESH_MS
 * (kubelet's sync period), so a running container sees updates. hostPath volumes and claims
 * bound to hostPath/local volumes are the host path itself, after the type check.
 *
 * A volume that cannot be set up yet (missing ConfigMap, unbound claim) records a FailedMount
 * event on the pod and throws: the worker keeps the pod in ContainerCreating and retries. A
 * refresh that fails later records the event but keeps the files the containers already see.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import type { EventSink } from '../../client/events.ts';
import { parseQuantity, quantityValue } from '../../api/validation/quantity.ts';
import { logger, type Logger } from '../../log/log.ts';
import type { EnvResolver, Mount, PodVolumes } from '../runtime.ts';
import { writeAtomically } from './atomic.ts';
import type { Allocatable, ContainerSpec, VolumeSpec } from './downward.ts';
import { checkHostPath } from './hostpath.ts';
import { localPathNode } from '../../controllers/localpath/volume.ts';
import { SystemMounter, type Mounter } from './mounter.ts';
import { mountsFor, type SetUpVolume } from './mounts.ts';
import type { ObjectReader } from './objects.ts';
import { volumePayload } from './sources.ts';
import { ServiceAccountTokens, type TokenSource } from './tokens.ts';

/** kubelet's pod sync period: how stale a configMap/secret volume may get. */
export const REFRESH_MS = 60_000;

export interface VolumeManagerDeps {
  /** The agent's data directory (pods live under DATA_DIR/agent/pods). */
  dataDir: string;
  objects: ObjectReader;
  tokens: TokenSource;
  allocatable: Allocatable;
  recorder?: EventSink;
  /** For subPathExpr: the container's environment. */
  env?: EnvResolver;
  mounter?: Mounter;
  log?: Logger;
  now?: () => number;
}

/** Thrown when a volume cannot be set up yet; message as Kubernetes' FailedMount event. */
export class VolumeSetUpError extends Error {
  readonly reason = 'FailedMount';
}

interface PodState {
  volumes: Map<string, SetUpVolume>;
  /** When contents were last re-read; -Infinity forces a refresh. */
  refreshedAt: number;
}

const PLUGIN_DIRS: Record<string, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

export class VolumeManager implements PodVolumes {
  private readonly pods = new Map<string, PodState>();
  private readonly tokens: ServiceAccountTokens;
  private readonly mounter: Mounter;
  private readonly log: Logger;
  private readonly now: () => number;
  /** Set once a tmpfs mount failed: this host (not root, or a container) keeps such volumes on disk. */
  private tmpfsRefused = false;

  constructor(private readonly deps: VolumeManagerDeps) {
    this.now = deps.now ?? Date.now;
    this.tokens = new ServiceAccountTokens(deps.tokens, this.now);
    this.mounter = deps.mounter ?? new SystemMounter();
    this.log = deps.log ?? logger('volumes');
  }

  /** DATA_DIR/agent/pods/<uid>. */
  podDir(uid: string): string {
    return path.join(this.deps.dataDir, 'agent', 'pods', uid);
  }

  /** Pods that have a directory here: after a restart, those without a pod are for tearDown. */
  podUidsOnDisk(): string[] {
    try {
      return fs.readdirSync(path.join(this.deps.dataDir, 'agent', 'pods'));
    } catch {
      return [];
    }
  }

  async setUp(pod: KObject): Promise<Map<string, Mount[]>> {
    const volumes = await this.setUpVolumes(pod);
    const byContainer = new Map<string, Mount[]>();
    const containers: ContainerSpec[] = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    for (const c of containers) {
      const needsEnv = this.deps.env && (c.volumeMounts ?? []).some((m: { subPathExpr?: string }) => m.subPathExpr);
      const env = needsEnv ? new Map((await this.deps.env!.envFor(pod, c)).map((v) => [v.key, v.value])) : undefined;
      byContainer.set(c.name, mountsFor(c, volumes, env));
    }
    return byContainer;
  }

  /** Every volume of the pod set up (idempotent; contents re-read once REFRESH_MS passed). */
  async setUpVolumes(pod: KObject): Promise<Map<string, SetUpVolume>> {
    const uid = pod.metadata.uid!;
    let state = this.pods.get(uid);
    if (!state) {
      state = { volumes: new Map(), refreshedAt: -Infinity };
      this.pods.set(uid, state);
    }
    const refresh = this.now() - state.refreshedAt >= REFRESH_MS;
    for (const volume of (pod.spec?.volumes ?? []) as VolumeSpec[]) {
      const existed = state.volumes.has(volume.name);
      if (existed && !refresh) continue;
      try {
        state.volumes.set(volume.name, await this.setUpVolume(pod, volume, existed));
      } catch (err) {
        const message = `MountVolume.SetUp failed for volume "${volume.name}" : ${(err as Error).message}`;
        this.deps.recorder?.event(pod, 'Warning', 'FailedMount', message);
        // A running pod keeps the contents it has (as kubelet does when a ConfigMap goes away).
        if (!existed) throw new VolumeSetUpError(message);
      }
    }
    if (refresh) state.refreshedAt = this.now();
    return state.volumes;
  }

  async tearDown(podUid: string): Promise<void> {
    this.pods.delete(podUid);
    this.tokens.forget(podUid);
    const dir = this.podDir(podUid);
    for (const point of this.mounter.mountPointsUnder(dir)) await this.mounter.unmount(point);
    const left = this.mounter.mountPointsUnder(dir);
    // Never delete through a mount: that would delete what it shows.
    if (left.length > 0) throw new Error(`pod ${podUid}: still mounted: ${left.join(', ')}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  private async setUpVolume(pod: KObject, volume: VolumeSpec, existed: boolean): Promise<SetUpVolume> {
    if (volume.hostPath) {
      checkHostPath(volume.hostPath.path, volume.hostPath.type);
      return { hostPath: volume.hostPath.path, readOnly: false };
    }
    if (volume.persistentVolumeClaim) return this.claimPath(pod, volume, existed);
    const plugin = Object.keys(PLUGIN_DIRS).find((k) => volume[k]);
    if (!plugin) throw new Error(`volume type not supported by this kubelet: ${Object.keys(volume).filter((k) => k !== 'name').join(', ')}`);
    const dir = path.join(this.podDir(pod.metadata.uid!), 'volumes', PLUGIN_DIRS[plugin]!, volume.name);
    if (!existed) await this.prepareDir(dir, plugin, volume);
    if (plugin === 'emptyDir') return { hostPath: dir, readOnly: false };
    const payload = await volumePayload({ objects: this.deps.objects, tokens: this.tokens, allocatable: this.deps.allocatable }, pod, volume);
    if (writeAtomically(dir, payload!, new Date(this.now())) && existed) this.log.debug(`pod ${pod.metadata.namespace}/${pod.metadata.name}: volume ${volume.name} updated`);
    return { hostPath: dir, readOnly: true };
  }

  /** Creates the volume's directory; memory-backed ones get a tmpfs (once: a remount would hide the files). */
  private async prepareDir(dir: string, plugin: string, volume: VolumeSpec): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    const memory = plugin === 'secret' || plugin === 'projected' || (plugin === 'emptyDir' && volume.emptyDir.medium === 'Memory');
    if (plugin === 'emptyDir') fs.chmodSync(dir, 0o777);
    if (!memory || this.tmpfsRefused || this.mounter.mountPointsUnder(dir).includes(path.resolve(dir))) return;
    const limit = plugin === 'emptyDir' ? volume.emptyDir.sizeLimit ?? this.deps.allocatable().memory : undefined;
    try {
      await this.mounter.mountTmpfs(dir, { sizeBytes: limit === undefined ? undefined : quantityValue(parseQuantity(limit)), mode: plugin === 'emptyDir' ? 0o777 : 0o755 });
    } catch (err) {
      this.tmpfsRefused = true;
      this.log.warn(`cannot mount tmpfs (${(err as Error).message.split('\n')[0]}): memory-backed volumes (emptyDir medium Memory, secrets, tokens) stay on disk under ${path.dirname(dir)}`);
    }
  }

  /**
   * A claim bound to a volume with a host path (spec.hostPath or spec.local). An unbound claim
   * waits (FailedMount event, retried) as kubelet does, and so does a new pod whose claim is
   * being deleted (pvc-protection lets the claim go once no started pod uses it). A local-path
   * volume's folder is made world-writable, as local-path-provisioner's `mkdir -m 0777` does,
   * so containers running as any user can write to it.
   */
  private async claimPath(pod: KObject, volume: VolumeSpec, existed: boolean): Promise<SetUpVolume> {
    const namespace = pod.metadata.namespace!;
    const claimName: string = volume.persistentVolumeClaim.claimName;
    const claim = await this.deps.objects.persistentVolumeClaim(namespace, claimName);
    if (!claim) throw new Error(`persistentvolumeclaim "${claimName}" not found`);
    if (claim.metadata.deletionTimestamp && !existed) throw new Error(`can't start pod because PVC ${namespace}/${claimName} is being deleted`);
    const pvName: string | undefined = claim.spec?.volumeName;
    if (claim.status?.phase !== 'Bound' || !pvName) {
      throw new Error(`PVC ${namespace}/${claimName} has non-bound phase ("${claim.status?.phase ?? ''}") or empty pvc.Spec.VolumeName ("${pvName ?? ''}")`);
    }
    const pv = await this.deps.objects.persistentVolume(pvName);
    if (!pv) throw new Error(`persistentvolume "${pvName}" not found`);
    const readOnly = !!volume.persistentVolumeClaim.readOnly;
    if (pv.spec?.hostPath) {
      if (localPathNode(pv) !== undefined && !fs.existsSync(pv.spec.hostPath.path)) {
        fs.mkdirSync(pv.spec.hostPath.path, { recursive: true });
        fs.chmodSync(pv.spec.hostPath.path, 0o777);
      }
      checkHostPath(pv.spec.hostPath.path, pv.spec.hostPath.type);
      return { hostPath: pv.spec.hostPath.path, readOnly };
    }
    if (pv.spec?.local) {
      checkHostPath(pv.spec.local.path, 'Directory');
      return { hostPath: pv.spec.local.path, readOnly };
    }
    throw new Error(`persistentvolume "${pvName}" is neither hostPath nor local: this kubelet cannot mount it`);
  }
}
