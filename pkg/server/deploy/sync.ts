/**
 * One pass over the manifests folder: disabled files go with their objects, present files are
 * applied, and the objects of files that were deleted are deleted.
 *
 * What a pass sees can be a moment of a write, not its end: `kubectl get -o yaml > x.yaml`
 * truncates before data arrives, a slow writer stops at a document boundary, editors rename
 * the old file away before writing the new one, and the watch's debounce can fire in between.
 * Deleting on such a sight loses data (a PersistentVolumeClaim's local-path volume is removed
 * with it). So deleting waits until the state has held for SETTLE_MS:
 * - a file of ours that is missing is deleted only once it has been missing from passes at
 *   least SETTLE_MS apart (it coming back in between starts over);
 * - content that would delete objects its record holds (an empty file, one cut short) is
 *   applied only once the same content has been seen on passes at least SETTLE_MS apart.
 *   Content seen twice rather than an old mtime: mtimes can be coarse, or another machine's
 *   clock on a network file system, and the check needs no stat.
 * run() answers whether something waits, so the caller runs another pass after SETTLE_MS.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import type { Logger } from '../../log/log.ts';
import type { Deployer } from './deployer.ts';
import { classify, listFiles } from './files.ts';
import { checksum, describeRef, parseManifest, refKey, refOf, type ObjectRef } from './manifest.ts';

export const SETTLE_MS = 2000;

export interface FolderSyncOptions {
  folder: string;
  disables: readonly string[];
  /** This server, as in records. */
  server: string;
  log: Logger;
  now?: () => number;
}

/** Group and kind and name, with a missing namespace standing for any (it is filled in when applied). */
const looseKey = (ref: ObjectRef) => refKey({ ...ref, namespace: undefined });

/**
 * The recorded objects that `content` no longer has. Compared before applying, so without the
 * server's scopes: a namespaced object without a namespace goes to `default`, a cluster-scoped
 * one (recorded without a namespace) matches whatever namespace the file gives it.
 */
export function dropped(recorded: ObjectRef[], content: string): ObjectRef[] {
  let objects: KObject[];
  try {
    objects = parseManifest(content);
  } catch {
    // Applying a file that does not parse touches nothing.
    return [];
  }
  const exact = new Set(objects.map((o) => refKey({ ...refOf(o), namespace: o.metadata.namespace ?? 'default' })));
  const loose = new Set(objects.map((o) => looseKey(refOf(o))));
  return recorded.filter((r) => (r.namespace ? !exact.has(refKey(r)) : !loose.has(looseKey(r))));
}

export class FolderSync {
  private readonly now: () => number;
  /** Our files found missing, and when first. */
  private readonly missing = new Map<string, number>();
  /** Files whose content would delete objects, the content and when it was first seen. */
  private readonly unsettled = new Map<string, { sum: string; since: number }>();
  /** Files of other servers already reported, so the rescan does not say it every time. */
  private readonly foreign = new Set<string>();

  constructor(private readonly deployer: Deployer, private readonly options: FolderSyncOptions) {
    this.now = options.now ?? Date.now;
  }

  /** One pass; `stale` is asked between files. Answers whether a change waits to settle. */
  async run(force: boolean, stale: () => boolean = () => false): Promise<boolean> {
    const { folder, log } = this.options;
    const files = classify(listFiles(folder), this.options.disables);
    const now = this.now();
    let waiting = false;
    for (const rel of files.disabled) {
      if (stale()) return false;
      const abs = path.join(folder, rel);
      let objects: KObject[] = [];
      try {
        objects = parseManifest(fs.readFileSync(abs, 'utf8'));
      } catch {
        // What the record lists is still removed.
      }
      log.info(`${rel} is disabled: removing it and its objects`);
      if (await this.deployer.removeFile(rel, objects)) fs.rmSync(abs, { force: true });
    }
    for (const rel of files.apply) {
      if (stale()) return false;
      let content: string;
      try {
        content = fs.readFileSync(path.join(folder, rel), 'utf8');
      } catch (err) {
        // Removed since the listing: the next passes see it missing.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      if (!this.settled(rel, content, now)) {
        waiting = true;
        continue;
      }
      await this.deployer.applyFile(rel, content, force);
    }
    const present = new Set([...files.apply, ...files.skipped, ...files.disabled]);
    for (const source of this.missing.keys()) if (present.has(source) || !this.deployer.records.has(source)) this.missing.delete(source);
    for (const source of this.unsettled.keys()) if (!files.apply.includes(source)) this.unsettled.delete(source);
    for (const record of [...this.deployer.records.values()]) {
      if (stale()) return false;
      if (present.has(record.source)) continue;
      if (record.server !== this.options.server) {
        if (!this.foreign.has(record.source)) log.info(`${record.source} was applied by server ${record.server} and is not in ${folder}: leaving its objects`);
        this.foreign.add(record.source);
        continue;
      }
      const since = this.missing.get(record.source);
      if (since === undefined) {
        this.missing.set(record.source, now);
        log.info(`${path.join(folder, record.source)} is missing: deleting its objects if it still is in ${SETTLE_MS / 1000} s`);
      }
      if (since === undefined || now - since < SETTLE_MS) {
        waiting = true;
        continue;
      }
      log.info(`${path.join(folder, record.source)} was deleted: deleting its objects`);
      if (await this.deployer.removeFile(record.source)) this.missing.delete(record.source);
    }
    return waiting;
  }

  /** Whether `content` may be applied now: it deletes nothing recorded, or has held for SETTLE_MS. */
  private settled(rel: string, content: string, now: number): boolean {
    const record = this.deployer.records.get(rel);
    const sum = checksum(content);
    const lost = record && record.checksum !== sum ? dropped(record.objects, content) : [];
    if (lost.length === 0) {
      this.unsettled.delete(rel);
      return true;
    }
    const seen = this.unsettled.get(rel);
    if (seen?.sum === sum && now - seen.since >= SETTLE_MS) {
      this.unsettled.delete(rel);
      return true;
    }
    if (seen?.sum !== sum) {
      this.unsettled.set(rel, { sum, since: now });
      this.options.log.info(`${path.join(this.options.folder, rel)} would delete ${lost.map(describeRef).join(', ')}: applying once it has not changed for ${SETTLE_MS / 1000} s`);
    }
    return false;
  }
}
