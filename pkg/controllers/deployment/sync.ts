/**
 * One reconcile of one Deployment: the steps both rollout strategies share, as Kubernetes'
 * deployment controller has them (sync.go): find or create the new ReplicaSet and keep
 * revisions in order, scale ReplicaSets (proportionally while a rollout is under way),
 * delete ReplicaSets beyond revisionHistoryLimit, and write status. `d` is this reconcile's
 * copy of the Deployment, replaced by each status write so later writes do not conflict with
 * our own.
 */
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import type { EventSink } from '../../client/events.ts';
import { resourcePath } from '../../client/paths.ts';
import { controllerOf, controllerRef } from '../replicaset/pods.ts';
import { computeHash, equalIgnoreHash } from './hash.ts';
import { condition, getCondition, hasProgressDeadline, PROGRESSING, Reasons, rolloutStatus, calculateStatus, setCondition, statusDiffers, deploymentComplete, type DeploymentStatus } from './progress.ts';
import {
  active, activeOrLatest, byCreation, byRevision, bySizeNewer, bySizeOlder, DESIRED_REPLICAS, HASH_LABEL, isRollingUpdate, isSaturated, maxRevision, maxSurge,
  newReplicaSetReplicas, proportion, REVISION, replicasOf, setNewReplicaSetAnnotations, setReplicasAnnotations, specReplicas, type Deployment, type ReplicaSet,
} from './util.ts';

/** The status as Kubernetes serializes it: zero counters are omitted (omitempty). */
function withoutZeros(status: DeploymentStatus): DeploymentStatus {
  return Object.fromEntries(Object.entries(status).filter(([, v]) => v !== 0 && v !== undefined)) as DeploymentStatus;
}

function isNamespaceTerminating(err: unknown): boolean {
  return isClientError(err) && (err.status.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

export type DeploymentClient = Pick<Client, 'create' | 'update' | 'delete' | 'patch' | 'get'>;

export class DeploymentSync {
  constructor(
    public d: Deployment,
    /** The ReplicaSets this Deployment controls (after adoption and release). */
    public readonly replicaSets: ReplicaSet[],
    private readonly client: DeploymentClient,
    private readonly events: EventSink,
    readonly now: () => number = Date.now,
  ) {}

  private rsPath(name?: string): string {
    return resourcePath({ group: 'apps', version: 'v1', resource: 'replicasets', namespace: this.d.metadata.namespace, name });
  }

  private get name(): string {
    return this.d.metadata.name!;
  }

  async updateStatus(status: DeploymentStatus = this.d.status): Promise<void> {
    const path = resourcePath({ group: 'apps', version: 'v1', resource: 'deployments', namespace: this.d.metadata.namespace, name: this.name, subresource: 'status' });
    this.d = await this.client.update(path, { ...this.d, apiVersion: 'apps/v1', kind: 'Deployment', status: withoutZeros(status) });
  }

  /** The ReplicaSet whose template is the Deployment's (the oldest, if several are). */
  findNew(): ReplicaSet | undefined {
    return [...this.replicaSets].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, this.d.spec.template));
  }

  /** Every ReplicaSet but the new one. */
  findOld(): ReplicaSet[] {
    const fresh = this.findNew();
    return this.replicaSets.filter((rs) => rs.metadata.uid !== fresh?.metadata.uid);
  }

  /** getAllReplicaSetsAndSyncRevision: the new set (created when asked and missing) and the old ones. */
  async newAndOld(create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const oldRSs = this.findOld();
    const newRS = await this.getNewReplicaSet(oldRSs, create);
    return { newRS, oldRSs };
  }

  private setRevision(revision: string): boolean {
    const a = (this.d.metadata.annotations ??= {});
    if (a[REVISION] === revision) return false;
    a[REVISION] = revision;
    return true;
  }

  private async getNewReplicaSet(oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const existing = this.findNew();
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(this.d, copy, newRevision, true);
      const minReady = this.d.spec.minReadySeconds ?? 0;
      if (annotationsChanged || (copy.spec.minReadySeconds ?? 0) !== minReady) {
        copy.spec.minReadySeconds = minReady;
        return this.writeReplicaSet(copy);
      }
      let needsUpdate = this.setRevision(copy.metadata.annotations?.[REVISION] ?? '');
      // A Deployment that never recorded progress starts its clock at the first sight of its new set.
      if (hasProgressDeadline(this.d) && !getCondition(this.d.status, PROGRESSING)) {
        this.d.status = { ...this.d.status };
        setCondition(this.d.status, condition(PROGRESSING, 'True', Reasons.foundNewRS, `Found new replica set "${copy.metadata.name}"`, this.now()));
        needsUpdate = true;
      }
      if (needsUpdate) await this.updateStatus();
      return copy;
    }
    if (!create) return undefined;
    return this.createNewReplicaSet(oldRSs, newRevision);
  }

  private async createNewReplicaSet(oldRSs: ReplicaSet[], newRevision: number): Promise<ReplicaSet | undefined> {
    const d = this.d;
    const template = structuredClone(d.spec.template);
    const hash = computeHash(template, d.status?.collisionCount);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec.selector);
    selector.matchLabels = { ...selector.matchLabels, [HASH_LABEL]: hash };
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: `${this.name}-${hash}`, namespace: d.metadata.namespace, ownerReferences: [controllerRef(d, 'apps/v1', 'Deployment')], labels: template.metadata.labels },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    rs.spec.replicas = newReplicaSetReplicas(d, [...oldRSs, rs], rs);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.client.create(this.rsPath(), rs);
    } catch (err) {
      if (isClientError(err, 'AlreadyExists')) {
        const found = this.replicaSets.find((x) => x.metadata.name === rs.metadata.name) ?? (await this.client.get(this.rsPath(rs.metadata.name)).catch(() => undefined));
        if (found && controllerOf(found)?.uid === d.metadata.uid && equalIgnoreHash(found.spec?.template, d.spec.template)) {
          created = found;
          alreadyExists = true;
        } else {
          // Another object holds the name this template hashes to: hash again with a new count.
          await this.updateStatus({ ...this.d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 });
          throw err;
        }
      } else {
        // In a terminating namespace every create fails; that is no failure of this Deployment.
        if (isNamespaceTerminating(err)) throw err;
        const message = `Failed to create new replica set "${rs.metadata.name}": ${(err as Error).message}`;
        if (hasProgressDeadline(d)) {
          const status = { ...this.d.status };
          setCondition(status, condition(PROGRESSING, 'False', Reasons.failedRSCreate, message, this.now()));
          await this.updateStatus(status).catch(() => undefined);
        }
        this.events.event(d, 'Warning', Reasons.failedRSCreate, message);
        throw err;
      }
    }
    if (!alreadyExists && replicasOf(rs) > 0) {
      this.events.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicasOf(rs)}`);
    }
    let needsUpdate = this.setRevision(String(newRevision));
    if (!alreadyExists && hasProgressDeadline(this.d)) {
      this.d.status = { ...this.d.status };
      setCondition(this.d.status, condition(PROGRESSING, 'True', Reasons.newRSCreated, `Created new replica set "${created.metadata.name}"`, this.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await this.updateStatus();
    if (!this.replicaSets.some((x) => x.metadata.uid === created.metadata.uid)) this.replicaSets.push(created);
    return created;
  }

  private async writeReplicaSet(rs: ReplicaSet): Promise<ReplicaSet> {
    const updated = await this.client.update(this.rsPath(rs.metadata.name), { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' });
    const i = this.replicaSets.findIndex((x) => x.metadata.uid === updated.metadata.uid);
    if (i >= 0) this.replicaSets[i] = updated;
    return updated;
  }

  /** Scales the set (and refreshes its replica annotations); answers whether it scaled and the set as written. */
  async scaleAndRecord(rs: ReplicaSet, newScale: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    if (replicasOf(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale, replicasOf(rs) < newScale ? 'up' : 'down');
  }

  async scaleReplicaSet(rs: ReplicaSet, newScale: number, operation: string): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const oldScale = replicasOf(rs);
    const copy = structuredClone(rs);
    const annotationsChanged = setReplicasAnnotations(copy, replicasOf(this.d), replicasOf(this.d) + maxSurge(this.d));
    if (oldScale === newScale && !annotationsChanged) return { scaled: false, rs };
    copy.spec.replicas = newScale;
    const written = await this.writeReplicaSet(copy);
    if (oldScale !== newScale) this.events.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${rs.metadata.name} from ${oldScale} to ${newScale}`);
    return { scaled: oldScale !== newScale, rs: written };
  }

  /** A replica count change (not a template change): some active set was sized for another count. */
  async isScalingEvent(): Promise<boolean> {
    const { newRS, oldRSs } = await this.newAndOld(false);
    return active([...oldRSs, newRS]).some((rs) => {
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
      return desired !== undefined && Number(desired) !== replicasOf(this.d);
    });
  }

  /**
   * Kubernetes' scale(): with one active set, give it all replicas; when the new set is
   * saturated, old ones go to zero; during a rolling update the change in replicas is shared
   * among active sets in proportion to their size (max-replicas annotation), leftovers to the largest.
   */
  async scale(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const d = this.d;
    const single = activeOrLatest(newRS, oldRSs);
    if (single) {
      if (replicasOf(single) !== replicasOf(d)) await this.scaleAndRecord(single, replicasOf(d));
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of active(oldRSs)) await this.scaleAndRecord(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const sets = active([...oldRSs, newRS]);
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
    const toAdd = allowed - specReplicas(sets);
    let operation = '';
    if (toAdd > 0) {
      sets.sort(bySizeNewer);
      operation = 'up';
    } else if (toAdd < 0) {
      sets.sort(bySizeOlder);
      operation = 'down';
    }
    const sizes = new Map<string, number>();
    let added = 0;
    for (const rs of sets) {
      const share = toAdd !== 0 ? proportion(rs, d, toAdd, added) : 0;
      sizes.set(rs.metadata.name!, replicasOf(rs) + share);
      added += share;
    }
    for (const [i, rs] of sets.entries()) {
      let size = sizes.get(rs.metadata.name!)!;
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      await this.scaleReplicaSet(rs, size, operation);
    }
  }

  /** Deletes the oldest fully scaled-down sets beyond revisionHistoryLimit. */
  async cleanup(oldRSs: ReplicaSet[]): Promise<void> {
    const limit = this.d.spec.revisionHistoryLimit;
    if (typeof limit !== 'number') return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(byRevision);
    const excess = cleanable.length - limit;
    for (const rs of cleanable.slice(0, Math.max(0, excess))) {
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.client.delete(this.rsPath(rs.metadata.name), { preconditions: { uid: rs.metadata.uid } });
      } catch (err) {
        if (!isClientError(err, 'NotFound')) throw err;
      }
    }
  }

  /** syncDeploymentStatus: counters and Available only. */
  async syncStatus(all: ReplicaSet[], newRS: ReplicaSet | undefined): Promise<void> {
    const status = calculateStatus(all, newRS, this.d, this.now());
    if (statusDiffers(this.d.status, status)) await this.updateStatus(status);
  }

  /**
   * syncRolloutStatus: counters and conditions. Answers when to look again (ms) for a rollout
   * that shows no progress, so ProgressDeadlineExceeded is reported on time without any event.
   */
  async syncRolloutStatus(all: ReplicaSet[], newRS: ReplicaSet | undefined): Promise<number | undefined> {
    const status = rolloutStatus(all, newRS, this.d, this.now());
    if (statusDiffers(this.d.status, status)) {
      await this.updateStatus(status);
      return undefined;
    }
    const c = getCondition(status, PROGRESSING);
    if (!hasProgressDeadline(this.d) || !c || deploymentComplete(this.d, status) || c.reason === Reasons.timedOut) return undefined;
    const after = Date.parse(c.lastUpdateTime) + this.d.spec.progressDeadlineSeconds * 1000 - this.now();
    return Math.max(after, 0) + 1000;
  }

  /** sync(): scaling (and, paused, history cleanup) without rolling anything out. */
  async sync(): Promise<void> {
    const { newRS, oldRSs } = await this.newAndOld(false);
    await this.scale(newRS, oldRSs);
    if (this.d.spec.paused) await this.cleanup(oldRSs);
    await this.syncStatus(this.current([...oldRSs, newRS]), this.current([newRS])[0]);
  }

  /** The sets as last written by this reconcile. */
  current(sets: (ReplicaSet | undefined)[]): ReplicaSet[] {
    return sets.filter((rs): rs is ReplicaSet => !!rs).map((rs) => this.replicaSets.find((x) => x.metadata.uid === rs.metadata.uid) ?? rs);
  }

  /** Progressing=Unknown DeploymentPaused/DeploymentResumed when spec.paused flips (not over a timeout). */
  async checkPausedConditions(): Promise<void> {
    if (!hasProgressDeadline(this.d)) return;
    const c = getCondition(this.d.status, PROGRESSING);
    if (c?.reason === Reasons.timedOut) return;
    const pausedShown = c?.reason === Reasons.paused;
    const status: DeploymentStatus = { ...this.d.status };
    if (this.d.spec.paused && !pausedShown) {
      setCondition(status, condition(PROGRESSING, 'Unknown', Reasons.paused, 'Deployment is paused', this.now()));
    } else if (!this.d.spec.paused && pausedShown) {
      setCondition(status, condition(PROGRESSING, 'Unknown', Reasons.resumed, 'Deployment is resumed', this.now()));
    } else {
      return;
    }
    await this.updateStatus(status);
  }
}
