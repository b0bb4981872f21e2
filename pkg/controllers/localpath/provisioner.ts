/**
 * tsk's local-path provisioner (k3s ships rancher's local-path-provisioner as a Deployment;
 * here it is one controller of the controller manager, off with `--disable local-storage`).
 * It provisions the claims the binder handed to `tsk.io/local-path` (storage-provisioner
 * annotation) once the scheduler chose their node (selected-node annotation): one hostPath
 * volume per claim in that node's storage folder (volume.ts), pre-bound to the claim. The
 * folder is made by the kubelet when the first pod mounts it, and removed by the kubelet of
 * that node when the volume is Released with reclaim policy Delete (pkg/kubelet/volumes/
 * localpath.ts): the provisioner never touches a node's disk, so it needs no helper pods and
 * no image. Writes as kube-system/local-path-provisioner.
 */
import type { KObject } from '../../api/types.ts';
import { isClientError, type Client } from '../../client/client.ts';
import type { EventSink } from '../../client/events.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../manager.ts';
import { ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, claimClass, claimKey, WAIT_FOR_FIRST_CONSUMER } from '../persistentvolume/helpers.ts';
import { ANN_STORAGE_DIR, LOCAL_PATH_PROVISIONER, localPathVolume, volumeNameFor } from './volume.ts';

const SERVICE_ACCOUNT = 'local-path-provisioner';
/** How soon to look again at a claim whose node has not published its storage folder yet. */
const NODE_RETRY_MS = 5000;
const SUPPORTED_MODES = ['ReadWriteOnce', 'ReadWriteOncePod'];

/** What to do for a claim: nothing, create this volume, or tell the user why not (and maybe retry). */
export type Decision =
  | { kind: 'skip' }
  | { kind: 'create'; volume: KObject }
  | { kind: 'fail'; message: string; retryMs?: number };

export interface ProvisionerView {
  storageClass(name: string): KObject | undefined;
  volume(name: string): KObject | undefined;
  node(name: string): KObject | undefined;
}

export function decide(claim: KObject, view: ProvisionerView): Decision {
  if (claim.metadata.deletionTimestamp || claim.spec?.volumeName) return { kind: 'skip' };
  if (claim.metadata.annotations?.[ANN_STORAGE_PROVISIONER] !== LOCAL_PATH_PROVISIONER) return { kind: 'skip' };
  const storageClass = view.storageClass(claimClass(claim));
  if (storageClass?.provisioner !== LOCAL_PATH_PROVISIONER) return { kind: 'skip' };
  if (view.volume(volumeNameFor(claim))) return { kind: 'skip' };
  const node = claim.metadata.annotations?.[ANN_SELECTED_NODE];
  if (!node) {
    // WaitForFirstConsumer: the scheduler has not placed a pod yet. Immediate: nobody will choose a node.
    if (storageClass.volumeBindingMode === WAIT_FOR_FIRST_CONSUMER) return { kind: 'skip' };
    return { kind: 'fail', message: 'configuration error, no node was specified (use volumeBindingMode WaitForFirstConsumer)' };
  }
  const modes: string[] = claim.spec?.accessModes ?? [];
  if (modes.some((m) => !SUPPORTED_MODES.includes(m))) {
    return { kind: 'fail', message: 'NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes' };
  }
  if ((claim.spec?.volumeMode ?? 'Filesystem') !== 'Filesystem') return { kind: 'fail', message: 'local-path volumes are folders: only volumeMode Filesystem is supported' };
  const storageDir: string | undefined = view.node(node)?.metadata.annotations?.[ANN_STORAGE_DIR];
  if (!storageDir) {
    return { kind: 'fail', message: `node "${node}" has not published its local storage folder (annotation ${ANN_STORAGE_DIR}): is its agent running?`, retryMs: NODE_RETRY_MS };
  }
  return { kind: 'create', volume: localPathVolume({ claim, storageClass, node, storageDir }) };
}

export class LocalPathProvisioner implements Controller {
  readonly name = 'local-path-provisioner';
  private readonly queue = new WorkQueue((key) => this.reconcile(key), { name: SERVICE_ACCOUNT, workers: 2, paused: true, retryMs: 500 });
  private client!: Client;
  private events!: EventSink;
  private claims!: Informer;
  private view!: ProvisionerView;

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = ctx.recorderFor(SERVICE_ACCOUNT, LOCAL_PATH_PROVISIONER);
    this.claims = ctx.informers.informerFor({ version: 'v1', resource: 'persistentvolumeclaims' });
    const volumes = ctx.informers.informerFor({ version: 'v1', resource: 'persistentvolumes' });
    const classes = ctx.informers.informerFor({ group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' });
    const nodes = ctx.informers.informerFor({ version: 'v1', resource: 'nodes' });
    this.view = { storageClass: (n) => classes.get(n), volume: (n) => volumes.get(n), node: (n) => nodes.get(n) };
    const claim = (c: KObject) => {
      if (c.metadata.annotations?.[ANN_STORAGE_PROVISIONER] === LOCAL_PATH_PROVISIONER && !c.spec?.volumeName) this.queue.add(objectKey(c));
    };
    this.claims.onAdd(claim).onUpdate((_, c) => claim(c));
    // A volume deleted before its claim was bound (by hand) is provisioned again.
    volumes.onDelete((pv) => {
      const ref = pv.spec?.claimRef;
      if (ref?.name) this.queue.add(claimKey(ref.namespace ?? '', ref.name));
    });
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue.stop();
  }

  async reconcile(key: string): Promise<boolean | number> {
    const claim = this.claims.get(key);
    if (!claim) return true;
    const decision = decide(claim, this.view);
    if (decision.kind === 'skip') return true;
    if (decision.kind === 'fail') {
      this.events.event(claim, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${claimClass(claim)}": ${decision.message}`);
      return decision.retryMs ?? true;
    }
    this.events.event(claim, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${key}"`);
    try {
      await this.client.create(resourcePath({ version: 'v1', resource: 'persistentvolumes' }), decision.volume);
    } catch (err) {
      if (!isClientError(err, 'AlreadyExists')) throw err;
      return true;
    }
    this.events.event(claim, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${decision.volume.metadata.name}`);
    return true;
  }
}

export const localPathProvisioner: ControllerFactory = () => new LocalPathProvisioner();
