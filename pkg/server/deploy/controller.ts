/**
 * The deploy controller (k3s's "deploy"): applies DATA_DIR/server/manifests while this server
 * holds the kube-system/tsk-deploy Lease, so servers sharing a datastore never apply at once.
 * A pass walks the folder and applies what changed, removes what was deleted or disabled;
 * passes run one at a time, at start (forced: everything is applied again), shortly after
 * the file system reports a change, every RESCAN_MS as a safety net (watches miss
 * events on some file systems and editors replace files in ways that lose them), and
 * SETTLE_MS after a pass that held back a deletion (sync.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import crypto from 'node:crypto';
import type { Client } from '../../client/client.ts';
import { LeaderElector } from '../../client/leaderelection.ts';
import { logger } from '../../log/log.ts';
import { Deployer, type DeployCluster } from './deployer.ts';
import { listFolders } from './files.ts';
import { FolderSync, SETTLE_MS } from './sync.ts';

const log = logger('deploy');
const RESCAN_MS = 15_000;
const DEBOUNCE_MS = 250;
const RETRY_LOAD_MS = 2000;

export interface DeployControllerOptions {
  /** DATA_DIR/server/manifests */
  folder: string;
  /** --disable: files named so (or in folders named so) are removed with their objects. */
  disables: readonly string[];
  /**
   * This server, in records and the Lease: a file gone from another server's folder is not
   * ours to delete. Default HOSTNAME:FOLDER (two servers may share a machine).
   */
  server?: string;
  leaseDurationSeconds?: number;
}

export class DeployController {
  private readonly elector: LeaderElector;
  private readonly server: string;
  private generation = 0;
  private leading: { deployer: Deployer; sync: FolderSync; watchers: Map<string, fs.FSWatcher>; timer?: NodeJS.Timeout; debounce?: NodeJS.Timeout; settle?: NodeJS.Timeout } | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Whether a pass is queued, and if so whether it is forced. */
  private pending: boolean | undefined;

  constructor(client: Client, private readonly cluster: DeployCluster, private readonly options: DeployControllerOptions) {
    this.server = options.server ?? `${os.hostname()}:${options.folder}`;
    this.elector = new LeaderElector(client, {
      namespace: 'kube-system',
      name: 'tsk-deploy',
      identity: `${this.server}_${crypto.randomUUID()}`,
      leaseDurationSeconds: options.leaseDurationSeconds,
      onStartedLeading: () => this.lead(++this.generation),
      onStoppedLeading: () => {
        this.generation++;
        this.standDown();
      },
    });
  }

  start(): void {
    this.elector.start();
  }

  async stop(): Promise<void> {
    this.generation++;
    this.standDown();
    await this.running;
    await this.elector.stop({ release: true });
  }

  private lead(generation: number): void {
    log.info(`leading: applying ${this.options.folder}`);
    const deployer = new Deployer(this.cluster, this.server, log, this.options.folder, () => generation !== this.generation);
    const sync = new FolderSync(deployer, { folder: this.options.folder, disables: this.options.disables, server: this.server, log });
    this.leading = { deployer, sync, watchers: new Map() };
    const load = async (): Promise<void> => {
      for (;;) {
        if (generation !== this.generation) return;
        try {
          await deployer.load();
          break;
        } catch (err) {
          log.warn(`could not read the records of applied manifests: ${(err as Error).message}; retrying`);
          await new Promise((r) => setTimeout(r, RETRY_LOAD_MS));
        }
      }
      if (generation !== this.generation || !this.leading) return;
      this.leading.timer = setInterval(() => this.schedule(false, 0), RESCAN_MS);
      this.schedule(true, 0);
    };
    this.running = this.running.then(load);
  }

  private standDown(): void {
    const leading = this.leading;
    this.leading = undefined;
    if (!leading) return;
    clearInterval(leading.timer);
    clearTimeout(leading.debounce);
    clearTimeout(leading.settle);
    for (const w of leading.watchers.values()) w.close();
  }

  /** Queues a pass; asks while one is queued merge into it (forced if any ask was). */
  private schedule(force: boolean, delay: number): void {
    const leading = this.leading;
    if (!leading) return;
    clearTimeout(leading.debounce);
    const go = () => {
      const queued = this.pending !== undefined;
      this.pending = (this.pending ?? false) || force;
      if (queued) return;
      const generation = this.generation;
      this.running = this.running.then(async () => {
        const forced = this.pending ?? false;
        this.pending = undefined;
        if (generation !== this.generation || !this.leading) return;
        await this.pass(this.leading.sync, forced, generation);
      });
    };
    if (delay === 0) go();
    else leading.debounce = setTimeout(go, delay);
  }

  private async pass(sync: FolderSync, force: boolean, generation: number): Promise<void> {
    const stale = () => generation !== this.generation;
    try {
      // Watched first: a file written during the pass still triggers the next one.
      this.watch(this.options.folder);
      const waiting = await sync.run(force, stale);
      const leading = this.leading;
      if (waiting && leading && !stale()) {
        // Its own timer, not the debounce's (which a watch event would push back or cut short);
        // a little late rather than early, so that pass is surely SETTLE_MS on.
        clearTimeout(leading.settle);
        leading.settle = setTimeout(() => this.schedule(false, 0), SETTLE_MS + 100);
      }
    } catch (err) {
      log.error(`pass over ${this.options.folder} failed: ${(err as Error).message}`);
    }
  }

  /** Watches the folder and its subfolders (fs.watch is not recursive on Linux in Node 20). */
  private watch(folder: string): void {
    const leading = this.leading;
    if (!leading) return;
    const want = new Set(listFolders(folder));
    for (const [dir, w] of leading.watchers) {
      if (!want.has(dir)) {
        w.close();
        leading.watchers.delete(dir);
      }
    }
    for (const dir of want) {
      if (leading.watchers.has(dir)) continue;
      try {
        const w = fs.watch(dir, { persistent: false }, () => this.schedule(false, DEBOUNCE_MS));
        w.on('error', () => {
          w.close();
          leading.watchers.delete(dir);
        });
        leading.watchers.set(dir, w);
      } catch (err) {
        log.debug(`cannot watch ${dir}: ${(err as Error).message}`);
      }
    }
  }
}
