/**
 * What applying, changing and removing one manifest file does to the cluster, over an
 * interface (DeployCluster) that tests fake. Every applied object carries the annotation
 * deploy.tsk.io/source naming its file, and each file has a record (source, checksum of the
 * content last applied in full, the objects it may have created, the server that applied it).
 *
 * The record is written ahead: before objects are applied it already lists them, so a crash
 * or a failure half way leaves nothing the next pass cannot find and prune. An object is
 * pruned or deleted only while its annotation still names this file: another file that took
 * it over, or a user who removed the annotation, keeps it.
 *
 * `stale` says this server no longer holds the deploy Lease: it is asked before every write
 * (apply, delete, record), so a former leader stops in the middle of a file instead of
 * pruning or recording over what the new leader does.
 */
import type { KObject } from '../../api/types.ts';
import type { Logger } from '../../log/log.ts';
import { DeployError } from './errors.ts';
import { applyOrder, checksum, deleteOrder, describeRef, isCrd, parseManifest, refKey, refOf, type ObjectRef } from './manifest.ts';

export const SOURCE_ANNOTATION = 'deploy.tsk.io/source';

export interface AddonRecord {
  /** The file, relative to the manifests folder. */
  source: string;
  /** sha256 of the content last applied in full; '' when none was. */
  checksum: string;
  objects: ObjectRef[];
  /** The server whose manifests folder held the file (servers of one cluster may differ). */
  server: string;
}

export interface DeployCluster {
  /** undefined: the API serves no such kind (yet). */
  scope(apiVersion: string, kind: string): Promise<'Namespaced' | 'Cluster' | undefined>;
  /** Server-side apply, taking conflicting fields over. */
  apply(obj: KObject): Promise<void>;
  /** undefined when it does not exist or its kind is no longer served. */
  get(ref: ObjectRef): Promise<KObject | undefined>;
  /** Gone already is fine. */
  remove(ref: ObjectRef): Promise<void>;
  /** Resolves once the CRD is Established; throws DeployError('crd-not-established') after a while. */
  crdEstablished(name: string): Promise<void>;
  /** New CRDs were applied: kinds learnt before are looked up again. */
  forgetKinds(): void;
  listRecords(): Promise<AddonRecord[]>;
  putRecord(record: AddonRecord): Promise<void>;
  removeRecord(source: string): Promise<void>;
  /** An Event about the file's record. */
  event(source: string, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export type ApplyResult = 'applied' | 'unchanged' | 'failed' | 'stale';

const isStale = (err: unknown) => err instanceof DeployError && err.code === 'stale';

const sameRefs = (a: ObjectRef[], b: ObjectRef[]) => a.length === b.length && a.every((r, i) => refKey(r) === refKey(b[i]!) && r.apiVersion === b[i]!.apiVersion);

function union(a: ObjectRef[], b: ObjectRef[]): ObjectRef[] {
  const keys = new Set(b.map(refKey));
  return [...a.filter((r) => !keys.has(refKey(r))), ...b];
}

export class Deployer {
  readonly records = new Map<string, AddonRecord>();
  /** The last failure per file, so one bad file logs once, not at every rescan. */
  private readonly failures = new Map<string, { sum: string; message: string; parse: boolean }>();

  constructor(
    private readonly cluster: DeployCluster,
    private readonly server: string,
    private readonly log: Logger,
    /** For messages: where the files are. */
    private readonly folder: string,
    private readonly stale: () => boolean = () => false,
  ) {}

  private guard(): void {
    if (this.stale()) throw new DeployError('stale', 'no longer the deploy leader');
  }

  async load(): Promise<void> {
    this.records.clear();
    for (const r of await this.cluster.listRecords()) this.records.set(r.source, r);
  }

  private where(source: string): string {
    return `${this.folder}/${source}`;
  }

  private fail(source: string, sum: string, err: unknown): 'failed' {
    const message = (err as Error).message ?? String(err);
    const parse = err instanceof DeployError && err.code === 'parse';
    const last = this.failures.get(source);
    if (last?.sum !== sum || last.message !== message) {
      this.failures.set(source, { sum, message, parse });
      const step = parse ? 'parse' : 'apply';
      this.log.error(`could not ${step} ${this.where(source)}: ${message}`);
      this.cluster.event(source, 'Warning', step === 'parse' ? 'ParseManifestFailed' : 'ApplyManifestFailed', `${step === 'parse' ? 'Parsing' : 'Applying'} ${this.where(source)} failed: ${message}`);
    }
    return 'failed';
  }

  private async save(record: AddonRecord): Promise<void> {
    const old = this.records.get(record.source);
    if (old && old.checksum === record.checksum && old.server === record.server && sameRefs(old.objects, record.objects)) return;
    this.guard();
    await this.cluster.putRecord(record);
    this.records.set(record.source, record);
  }

  /** The object with its namespace filled in (namespaced kinds default to `default`). */
  private async resolve(obj: KObject): Promise<KObject> {
    const scope = await this.cluster.scope(obj.apiVersion!, obj.kind!);
    if (!scope) throw new DeployError('unknown-kind', `the server has no kind ${obj.kind} in ${obj.apiVersion}`);
    if (scope === 'Cluster') {
      const { namespace: _, ...metadata } = obj.metadata;
      return { ...obj, metadata };
    }
    return obj.metadata.namespace ? obj : { ...obj, metadata: { ...obj.metadata, namespace: 'default' } };
  }

  /**
   * The object as applied: with the source annotation, and without the fields a server fills
   * in (a manifest saved with `kubectl get -o yaml` has them; a stale resourceVersion would
   * make every apply a conflict).
   */
  private prepared(obj: KObject, source: string): KObject {
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _g, managedFields: _mf, selfLink: _sl, deletionTimestamp: _dt, ...metadata } = obj.metadata as KObject['metadata'] & { selfLink?: string };
    return { ...obj, metadata: { ...metadata, annotations: { ...obj.metadata.annotations, [SOURCE_ANNOTATION]: source } } };
  }

  /**
   * Applies the file unless its content is what was last applied in full (`force`: apply
   * anyway, as at start, which puts back objects deleted by hand). Objects of the previous
   * version that the new one lacks are pruned once every object applied.
   */
  async applyFile(source: string, content: string, force: boolean): Promise<ApplyResult> {
    const sum = checksum(content);
    const old = this.records.get(source);
    if (!force && old?.checksum === sum) return 'unchanged';
    // A parse error cannot heal without a change to the file: do not retry it every rescan.
    const failure = this.failures.get(source);
    if (failure?.parse && failure.sum === sum) return 'failed';
    const base: AddonRecord = { source, checksum: old?.checksum ?? '', objects: old?.objects ?? [], server: this.server };
    let objects: KObject[];
    try {
      objects = parseManifest(content);
    } catch (err) {
      // The record gives the Event an object to hang on; nothing already applied is touched.
      if (!old) await this.save(base).catch(() => {});
      return this.fail(source, sum, err);
    }
    try {
      const first = objects.filter((o) => isCrd(refOf(o)) || (o.kind === 'Namespace' && o.apiVersion === 'v1'));
      const rest = objects.filter((o) => !first.includes(o));
      const applied: ObjectRef[] = [];
      const applyAll = async (list: KObject[]) => {
        const resolved = await Promise.all(list.map((o) => this.resolve(o)));
        const refs = resolved.map(refOf);
        // Written ahead with the old checksum: a crash here is healed by the forced pass at start.
        await this.save({ ...base, objects: union(union(base.objects, applied), refs) });
        for (const { obj } of applyOrder(resolved.map((obj, i) => ({ obj, ref: refs[i]! })))) {
          this.guard();
          try {
            await this.cluster.apply(this.prepared(obj, source));
          } catch (err) {
            throw new DeployError('apply', `${describeRef(refOf(obj))}: ${(err as Error).message}`, { cause: err });
          }
          applied.push(refOf(obj));
        }
      };
      if (first.length > 0) {
        await applyAll(first);
        const crds = first.filter((o) => isCrd(refOf(o)));
        for (const crd of crds) await this.cluster.crdEstablished(crd.metadata.name!);
        if (crds.length > 0) this.cluster.forgetKinds();
      }
      await applyAll(rest);
      const keep = new Set(applied.map(refKey));
      const gone = base.objects.filter((r) => !keep.has(refKey(r)));
      const left = await this.deleteOwned(source, gone);
      await this.save({ source, checksum: sum, objects: union(left, applied), server: this.server });
      if (left.length > 0) throw new DeployError('delete', `could not prune ${left.map(describeRef).join(', ')}`);
    } catch (err) {
      if (isStale(err)) return 'stale';
      // Not applied in full: no checksum, so even going back to the old content applies (and prunes) again.
      const current = this.records.get(source);
      if (current) await this.save({ ...current, checksum: '' }).catch(() => {});
      return this.fail(source, sum, err);
    }
    if (this.failures.delete(source)) this.log.info(`applied ${this.where(source)} (${objects.length} object${objects.length === 1 ? '' : 's'}) after earlier failures`);
    else this.log.info(`applied ${this.where(source)} (${objects.length} object${objects.length === 1 ? '' : 's'})`);
    this.cluster.event(source, 'Normal', 'AppliedManifest', `Applied ${this.where(source)}`);
    return 'applied';
  }

  /** Deletes those of `refs` that still name `source`; answers the ones that could not be deleted. */
  private async deleteOwned(source: string, refs: ObjectRef[]): Promise<ObjectRef[]> {
    const left: ObjectRef[] = [];
    for (const ref of deleteOrder(refs)) {
      this.guard();
      try {
        const current = await this.cluster.get(ref);
        if (!current) continue;
        const owner = current.metadata.annotations?.[SOURCE_ANNOTATION];
        if (owner !== source) {
          this.log.info(`leaving ${describeRef(ref)}: ${owner ? `it now comes from ${this.where(owner)}` : `its ${SOURCE_ANNOTATION} annotation is gone`}`);
          continue;
        }
        this.guard();
        await this.cluster.remove(ref);
        this.log.info(`deleted ${describeRef(ref)} (was in ${this.where(source)})`);
      } catch (err) {
        if (isStale(err)) throw err;
        this.log.warn(`could not delete ${describeRef(ref)} of ${this.where(source)}: ${(err as Error).message}`);
        left.push(ref);
      }
    }
    return left;
  }

  /**
   * The file is gone (or disabled): its objects go, then its record. `alsoIn`: objects of the
   * file's current content, for a disabled file that was never applied here. Answers whether
   * everything went (else the record stays and a later pass tries again; also false when this
   * server stopped leading on the way).
   */
  async removeFile(source: string, alsoIn: KObject[] = []): Promise<boolean> {
    try {
      return await this.remove(source, alsoIn);
    } catch (err) {
      if (isStale(err)) return false;
      throw err;
    }
  }

  private async remove(source: string, alsoIn: KObject[]): Promise<boolean> {
    const old = this.records.get(source);
    const extra: ObjectRef[] = [];
    for (const obj of alsoIn) {
      try {
        extra.push(refOf(await this.resolve(obj)));
      } catch {
        // A kind the server does not serve has no objects to delete.
      }
    }
    const refs = union(old?.objects ?? [], extra);
    const left = await this.deleteOwned(source, refs);
    if (left.length > 0) {
      if (old) await this.save({ ...old, objects: left }).catch(() => {});
      return false;
    }
    if (old) {
      this.guard();
      await this.cluster.removeRecord(source);
      this.records.delete(source);
    }
    this.failures.delete(source);
    this.log.info(`removed ${this.where(source)}: ${refs.length} objects`);
    return true;
  }
}
