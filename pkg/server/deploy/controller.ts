/**
 * The deploy controller (k3s's "deploy"): applies DATA_DIR/server/manifests while this server
 * holds the kube-system/tsk-deploy Lease, so servers sharing a datastore never apply at once.
 * A pass walks the folder and applies what changed, removes what was deleted or disabled;
 * passes run one at a time, at start (forced: everything is applied again), shortly after
 * the file system reports a change, and every RESCAN_MS as a safety net (watches miss
 * events on some file systems and editors replace files in ways that lose them).
 */
import fs from 'node:fs';
import os from 'node:os';
import crypto from 'node:crypto';
import path from 'node:path';
import type { Client } from '../../client/client.ts';
import { LeaderElector } from '../../client/leaderelection.ts';
import { logger } from '../../log/log.ts';
import { Deployer, type DeployCluster } from './deployer.ts';
import { classify, listFiles, listFolders } from './files.ts';
import { parseManifest } from './manifest.ts';

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
  private leading: { deployer: Deployer; watchers: Map<string, fs.FSWatcher>; timer?: NodeJS.Timeout; debounce?: NodeJS.Timeout } | undefined;
  private running: Promise<void> = Promise.resolve();
  /** Whether a pass is queued, and if so whether it is forced. */
  private pending: boolean | undefined;
  /** Files of other servers already reported, so the rescan does not say it every time. */
  private readonly foreign = new Set<string>();

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
    const deployer = new Deployer(this.cluster, this.server, log, this.options.folder);
    this.leading = { deployer, watchers: new Map() };
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
        await this.pass(this.leading.deployer, forced, generation).catch((err: unknown) => log.error(`pass over ${this.options.folder} failed: ${(err as Error).message}`));
      });
    };
    if (delay === 0) go();
    else leading.debounce = setTimeout(go, delay);
  }

  private async pass(deployer: Deployer, force: boolean, generation: number): Promise<void> {
    const folder = this.options.folder;
    const files = classify(listFiles(folder), this.options.disables);
    this.watch(folder);
    const stale = () => generation !== this.generation;
    for (const rel of files.disabled) {
      if (stale()) return;
      const abs = path.join(folder, rel);
      let objects: ReturnType<typeof parseManifest> = [];
      try {
        objects = parseManifest(fs.readFileSync(abs, 'utf8'));
      } catch {
        // What the record lists is still removed.
      }
      log.info(`${rel} is disabled: removing it and its objects`);
      if (await deployer.removeFile(rel, objects)) fs.rmSync(abs, { force: true });
    }
    for (const rel of files.apply) {
      if (stale()) return;
      let content: string;
      try {
        content = fs.readFileSync(path.join(folder, rel), 'utf8');
      } catch (err) {
        // Removed since the listing: the next pass deletes it.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      await deployer.applyFile(rel, content, force);
    }
    const present = new Set([...files.apply, ...files.skipped]);
    for (const record of [...deployer.records.values()]) {
      if (stale()) return;
      if (present.has(record.source) || files.disabled.includes(record.source)) continue;
      if (record.server !== this.server) {
        if (!this.foreign.has(record.source)) log.info(`${record.source} was applied by server ${record.server} and is not in ${folder}: leaving its objects`);
        this.foreign.add(record.source);
        continue;
      }
      log.info(`${path.join(folder, record.source)} was deleted: deleting its objects`);
      await deployer.removeFile(record.source);
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
