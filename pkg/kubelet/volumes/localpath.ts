/**
 * The node's half of tsk's local-path storage: a local-path volume of this node that is
 * Released with reclaim policy Delete has its folder removed here, then the volume is deleted
 * (the node authorizer allows exactly that delete). rancher's local-path-provisioner runs a
 * helper pod on the node for this; the kubelet already runs there and needs no image.
 *
 * Only folders directly inside this node's storage dir are removed (volume.ts
 * deletableFolder): a volume whose path points elsewhere is left alone with a warning. A
 * failure (busy mount, API down) is retried every RETRY_MS while the volume stays Released.
 */
import fs from 'node:fs';
import type { KObject } from '../../api/types.ts';
import { isClientError, resourcePath, type Client } from '../../client/client.ts';
import { Informer } from '../../client/informer.ts';
import { awaitsDeletionOn, deletableFolder } from '../../controllers/localpath/volume.ts';
import { logger, type Logger } from '../../log/log.ts';

const RETRY_MS = 10_000;

export interface LocalPathCleanerDeps {
  client: Client;
  nodeName: string;
  /** DATA_DIR/storage. */
  storageDir: string;
  log?: Logger;
}

export class LocalPathCleaner {
  private readonly volumes: Informer;
  private readonly busy = new Set<string>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly log: Logger;
  private stopped = false;

  constructor(private readonly deps: LocalPathCleanerDeps) {
    this.log = deps.log ?? logger('kubelet');
    this.volumes = new Informer<KObject>(deps.client, { path: '/api/v1/persistentvolumes', name: 'kubelet persistentvolumes' });
    this.volumes.onAdd((pv) => void this.consider(pv)).onUpdate((_, pv) => void this.consider(pv));
  }

  start(): void {
    this.volumes.start();
  }

  stop(): void {
    this.stopped = true;
    this.volumes.stop();
    for (const t of this.retries.values()) clearTimeout(t);
  }

  /** Resolves once the volume is handled (or left for a retry); exported for tests. */
  async consider(pv: KObject): Promise<void> {
    const name = pv.metadata.name!;
    if (this.stopped || this.busy.has(name) || !awaitsDeletionOn(pv, this.deps.nodeName)) return;
    const folder = deletableFolder(pv, this.deps.storageDir);
    if (!folder) {
      this.log.warn(`persistentvolume ${name}: its path is not a folder of ${this.deps.storageDir}; not deleting it`);
      return;
    }
    this.busy.add(name);
    try {
      fs.rmSync(folder, { recursive: true, force: true });
      await this.deps.client.delete(resourcePath({ version: 'v1', resource: 'persistentvolumes', name }), { preconditions: { uid: pv.metadata.uid } });
      this.log.info(`persistentvolume ${name}: removed ${folder}`);
    } catch (err) {
      if (!isClientError(err, 'NotFound') && !isClientError(err, 'Conflict')) {
        this.log.warn(`persistentvolume ${name}: ${(err as Error).message}; trying again`);
        this.retryLater(name);
      }
    } finally {
      this.busy.delete(name);
    }
  }

  private retryLater(name: string): void {
    clearTimeout(this.retries.get(name));
    const t = setTimeout(() => {
      this.retries.delete(name);
      const pv = this.volumes.get(name);
      if (pv) void this.consider(pv);
    }, RETRY_MS);
    t.unref();
    this.retries.set(name, t);
  }
}
