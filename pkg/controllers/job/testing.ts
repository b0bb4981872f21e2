/**
 * A fake API for the Job controller's unit tests: pods and the job live in memory, writes
 * apply as the API server would (a deleted pod with finalizers stays terminating), and after
 * each sync the harness tells the expectations what an informer would have observed.
 */
import type { KObject } from '../../api/types.ts';
import type { EventType } from '../../client/events.ts';
import type { BackoffRecord } from './backoff.ts';
import { Expectations } from './expectations.ts';
import { TRACKING_FINALIZER, type Pod } from './pods.ts';
import { syncJob, type JobWriter } from './sync.ts';

const notFound = () => Object.assign(new Error('not found'), { code: 404 });

export class JobHarness {
  readonly pods = new Map<string, Pod>();
  readonly events: { type: EventType; reason: string; message: string }[] = [];
  readonly expectations: Expectations;
  readonly backoff = new Map<string, BackoffRecord>();
  statusWrites = 0;
  now: Date;
  private seq = 0;
  private observed: (() => void)[] = [];

  constructor(public job: KObject, start = new Date('2026-01-01T00:00:00Z')) {
    this.now = start;
    this.expectations = new Expectations(() => this.now.getTime());
    job.metadata.uid ??= 'job-uid';
    job.metadata.namespace ??= 'default';
    job.status ??= {};
  }

  get key(): string {
    return `${this.job.metadata.namespace}/${this.job.metadata.name}`;
  }

  readonly writer: JobWriter = {
    createPod: async (pod) => {
      const name = `${pod.metadata.generateName}${(this.seq++).toString(36).padStart(5, 'x')}`;
      const made = { ...structuredClone(pod), metadata: { ...structuredClone(pod.metadata), name, uid: `uid-${name}`, creationTimestamp: this.now.toISOString() }, status: { phase: 'Pending' } };
      this.pods.set(name, made);
      this.observed.push(() => this.expectations.creationObserved(this.key));
      return made;
    },
    deletePod: async (pod) => {
      const live = this.pods.get(pod.metadata.name!);
      if (!live) throw notFound();
      if ((live.metadata.finalizers ?? []).length === 0) this.pods.delete(live.metadata.name!);
      else live.metadata.deletionTimestamp ??= this.now.toISOString();
      this.observed.push(() => this.expectations.deletionObserved(this.key));
    },
    removeTrackingFinalizer: async (pod) => {
      const live = this.pods.get(pod.metadata.name!);
      if (!live) throw notFound();
      live.metadata.finalizers = (live.metadata.finalizers ?? []).filter((f) => f !== TRACKING_FINALIZER);
      if (live.metadata.deletionTimestamp && live.metadata.finalizers.length === 0) this.pods.delete(live.metadata.name!);
      this.observed.push(() => this.expectations.finalizerRemovalObserved(this.key, live.metadata.uid!));
    },
    updateStatus: async (job) => {
      this.statusWrites++;
      this.job = { ...structuredClone(this.job), status: structuredClone(job.status) };
      return structuredClone(this.job);
    },
  };

  /** One reconcile as the controller runs it, then the informer catches up. */
  async sync(): Promise<true | number> {
    const result = await syncJob(this.key, structuredClone(this.job), [...this.pods.values()].map((p) => structuredClone(p)), {
      writer: this.writer,
      events: { event: (_obj, type, reason, message) => this.events.push({ type, reason, message }) },
      expectations: this.expectations,
      backoff: this.backoff,
      now: () => this.now,
    });
    for (const f of this.observed.splice(0)) f();
    return result;
  }

  /** Pods not being deleted, in creation order. */
  livePods(): Pod[] {
    return [...this.pods.values()].filter((p) => !p.metadata.deletionTimestamp);
  }

  setPhase(pod: Pod, phase: string): void {
    this.pods.get(pod.metadata.name!)!.status = { phase };
  }

  /** A kubelet finishing the deletion of terminating pods. */
  finishDeletions(): void {
    for (const [name, p] of this.pods) if (p.metadata.deletionTimestamp && (p.metadata.finalizers ?? []).length === 0) this.pods.delete(name);
  }

  advance(ms: number): void {
    this.now = new Date(this.now.getTime() + ms);
  }

  condition(type: string): { status: string; reason?: string } | undefined {
    return (this.job.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}

export function newJob(spec: Record<string, unknown>, name = 'work'): KObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', uid: 'job-uid' },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      template: { metadata: { labels: { 'batch.kubernetes.io/job-name': name } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
    status: {},
  };
}
