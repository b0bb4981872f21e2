/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * a candidate takes the Lease when it has no holder or when the holder has not renewed it for
 * leaseDurationSeconds *as observed on this machine's clock* (so clock skew between machines
 * does not matter); the leader renews every retry period and steps down if it could not renew
 * within the renew deadline. Every write carries the resourceVersion it read, so two
 * candidates racing for the same Lease cannot both win.
 */
import type { KObject } from '../api/types.ts';
import { logger } from '../log/log.ts';
import type { Client } from './client.ts';
import { isClientError } from './errors.ts';
import { resourcePath } from './paths.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** Unique per candidate (client-go uses hostname + '_' + a UUID). */
  identity: string;
  /** Default 15 s, as kube-controller-manager. */
  leaseDurationSeconds?: number;
  /** Default 10 s. Must be below the lease duration. */
  renewDeadlineMs?: number;
  /** Default 2 s. */
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  /** Called whenever the observed holder changes (including to this candidate). */
  onNewLeader?: (identity: string) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KObject & { spec?: LeaseSpec };

/** MicroTime as Kubernetes writes it: RFC 3339 with six fractional digits. */
export function microTime(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private observedSpec = '';
  private observedAt = 0;
  private observedHolder = '';
  private wake: (() => void) | undefined;
  private readonly log;

  constructor(private readonly client: Client, private readonly options: LeaderElectionOptions) {
    this.log = logger(`leaderelection ${options.namespace}/${options.name}`);
  }

  private get path(): string {
    return resourcePath({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: this.options.namespace });
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): this {
    this.running ??= this.run();
    return this;
  }

  /** Stops campaigning; a leader steps down and, unless `release: false`, frees the Lease at once. */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
    if (this.leading) {
      this.leading = false;
      if (opts.release !== false) await this.release().catch((err) => this.log.warn(`release failed: ${(err as Error).message}`));
      this.options.onStoppedLeading();
    }
  }

  private async run(): Promise<void> {
    const retry = this.options.retryPeriodMs ?? 2000;
    const deadline = this.options.renewDeadlineMs ?? 10_000;
    let lastRenew = 0;
    while (!this.stopped) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.log.warn(`lease update failed: ${(err as Error).message}`);
      }
      if (this.stopped) break;
      if (ok) {
        lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.log.info(`${this.options.identity} is now the leader`);
          this.options.onStartedLeading();
        }
      } else if (this.leading && Date.now() - lastRenew > deadline) {
        this.leading = false;
        this.log.warn(`${this.options.identity} lost the lease`);
        this.options.onStoppedLeading();
      }
      // Candidates wait a little longer, with jitter, so they do not all hit the Lease at once.
      await this.sleep(this.leading ? retry : retry * (1 + Math.random() * 0.2));
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const me = this.options.identity;
    const duration = this.options.leaseDurationSeconds ?? 15;
    const now = microTime();
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(`${this.path}/${encodeURIComponent(this.options.name)}`);
    } catch (err) {
      if (!isClientError(err, 'NotFound')) throw err;
      const created = await this.client.create<Lease>(this.path, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.options.name, namespace: this.options.namespace },
        spec: { holderIdentity: me, leaseDurationSeconds: duration, acquireTime: now, renewTime: now, leaseTransitions: 0 },
      }).catch((e: unknown) => {
        if (isClientError(e, 'AlreadyExists')) return undefined;
        throw e;
      });
      if (created) this.observe(created.spec ?? {});
      return created !== undefined;
    }
    const spec = lease.spec ?? {};
    this.observe(spec);
    const holder = spec.holderIdentity ?? '';
    const heldElsewhere = holder !== '' && holder !== me;
    const expired = this.observedAt + (spec.leaseDurationSeconds ?? duration) * 1000 < Date.now();
    if (heldElsewhere && !expired) return false;
    const next: LeaseSpec = {
      ...spec,
      holderIdentity: me,
      leaseDurationSeconds: duration,
      renewTime: now,
      acquireTime: holder === me ? spec.acquireTime ?? now : now,
      leaseTransitions: holder === me ? spec.leaseTransitions ?? 0 : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      const updated = await this.client.update<Lease>(`${this.path}/${encodeURIComponent(this.options.name)}`, { ...lease, spec: next });
      this.observe(updated.spec ?? {});
      return true;
    } catch (err) {
      if (isClientError(err, 'Conflict')) return false;
      throw err;
    }
  }

  /** Remembers when the Lease last changed by this machine's clock. */
  private observe(spec: LeaseSpec): void {
    const text = JSON.stringify(spec);
    if (text !== this.observedSpec) {
      this.observedSpec = text;
      this.observedAt = Date.now();
    }
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.observedHolder) {
      this.observedHolder = holder;
      if (holder) this.options.onNewLeader?.(holder);
    }
  }

  /** As client-go's ReleaseOnCancel: an empty holder lets the next candidate take over at once. */
  private async release(): Promise<void> {
    const path = `${this.path}/${encodeURIComponent(this.options.name)}`;
    const lease = await this.client.get<Lease>(path);
    if (lease.spec?.holderIdentity !== this.options.identity) return;
    const now = microTime();
    await this.client.update<Lease>(path, { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now } });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
