/**
 * The HorizontalPodAutoscaler controller (kube-controller-manager's horizontal-pod-autoscaler):
 * every sync period (15 s) each HPA reads its target's scale subresource, the resource metrics
 * of the target's pods from metrics.k8s.io, proposes a size per metric, stabilizes and
 * rate-limits it (behavior), writes spec.replicas through the scale subresource and records
 * status, conditions and events in upstream's words. It acts as
 * system:serviceaccount:kube-system:horizontal-pod-autoscaler (bootstrap role
 * system:controller:horizontal-pod-autoscaler); pods come from the shared informer.
 */
import type { KObject } from '../../api/types.ts';
import { jsonEqual } from '../../api/validation/path.ts';
import { matchesLabels, parseLabelSelector, type LabelRequirement } from '../../apiserver/selectors.ts';
import type { Client } from '../../client/client.ts';
import type { EventSink } from '../../client/events.ts';
import { byNamespace, NAMESPACE_INDEX } from '../../client/factory.ts';
import type { Informer } from '../../client/informer.ts';
import { resourcePath } from '../../client/paths.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import { logger } from '../../log/log.ts';
import type { Controller, ControllerContext } from '../manager.ts';
import { ScaleHistory, type Behavior, type Normalized } from './behavior.ts';
import { computeReplicasForMetrics, type MetricSpec, type MetricsOutcome } from './compute.ts';
import { apiMetricsClient, type MetricsClient } from './metrics.ts';
import { AutoscalerError, DEFAULT_CALCULATOR } from './replicas.ts';
import { ApiScaleClient, type Scale, type ScaleClient } from './scale.ts';
import { finishStatus, setCondition, workingStatus, type HpaStatus } from './status.ts';

const log = logger('horizontal-pod-autoscaler');
const SERVICE_ACCOUNT = 'horizontal-pod-autoscaler';
/** --horizontal-pod-autoscaler-sync-period. */
export const SYNC_PERIOD_MS = 15_000;
/** --concurrent-horizontal-pod-autoscaler-syncs. */
const WORKERS = 5;

export interface AutoscalerOptions {
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  downscaleStabilizationMs?: number;
  now?: () => number;
  /** Replace the API-backed clients (unit tests). */
  metrics?: MetricsClient;
  scales?: ScaleClient;
}

const keyOf = (obj: KObject): string => `${obj.metadata.namespace}/${obj.metadata.name}`;

export class HorizontalController implements Controller {
  readonly name = 'horizontalpodautoscaling';
  private queue!: WorkQueue;
  private hpas!: Informer;
  private pods!: Informer;
  private client!: Client;
  private events!: EventSink;
  private metrics!: MetricsClient;
  private scales!: ScaleClient;
  private readonly history: ScaleHistory;
  /** Each HPA's last parsed target selector (none until its first sync), to find overlapping HPAs. */
  private readonly selectors = new Map<string, LabelRequirement[] | undefined>();
  private readonly now: () => number;
  private readonly syncPeriodMs: number;

  constructor(private readonly options: AutoscalerOptions = {}) {
    this.history = new ScaleHistory(options.downscaleStabilizationMs);
    this.now = options.now ?? Date.now;
    this.syncPeriodMs = options.syncPeriodMs ?? SYNC_PERIOD_MS;
  }

  init(ctx: ControllerContext): void {
    this.client = ctx.clientFor(SERVICE_ACCOUNT);
    this.events = ctx.recorderFor(SERVICE_ACCOUNT, SERVICE_ACCOUNT);
    this.metrics = this.options.metrics ?? apiMetricsClient(this.client);
    this.scales = this.options.scales ?? new ApiScaleClient(this.client);
    this.queue = new WorkQueue((key) => this.reconcile(key), { name: 'horizontal-pod-autoscaler', workers: WORKERS, paused: true });
    this.hpas = ctx.informers.informerFor({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' });
    this.pods = ctx.informers.informerFor({ version: 'v1', resource: 'pods' });
    this.pods.addIndex(NAMESPACE_INDEX, byNamespace);
    // Our own status writes come back as updates: only a changed spec is worth an early look,
    // the sync period brings every HPA round anyway.
    this.hpas
      .onAdd((hpa) => {
        if (!this.selectors.has(keyOf(hpa))) this.selectors.set(keyOf(hpa), undefined);
        this.queue.add(keyOf(hpa));
      })
      .onUpdate((old, hpa) => {
        if (old.metadata.generation !== hpa.metadata.generation) this.queue.add(keyOf(hpa));
      })
      .onDelete((hpa) => this.queue.add(keyOf(hpa)));
  }

  run(): void {
    this.queue.resume();
  }

  stop(): void {
    this.queue?.stop();
  }

  /** Every HPA is looked at again one sync period later, whatever the outcome (as upstream). */
  async reconcile(key: string): Promise<number | boolean> {
    const hpa = this.hpas.get(key);
    if (!hpa) {
      this.history.forget(key);
      this.selectors.delete(key);
      return true;
    }
    try {
      await this.reconcileAutoscaler(hpa, key);
    } catch (err) {
      log.warn(`${key}: ${(err as Error).message}`);
    }
    return this.syncPeriodMs;
  }

  private async reconcileAutoscaler(hpa: KObject, key: string): Promise<void> {
    const now = this.now();
    const namespace = hpa.metadata.namespace!;
    const spec = hpa.spec ?? {};
    const ref = spec.scaleTargetRef ?? {};
    const reference = `${ref.kind}/${namespace}/${ref.name}`;
    const status = workingStatus(hpa);

    let scale: Scale;
    try {
      scale = await this.scales.get(namespace, ref);
    } catch (err) {
      const message = (err as Error).message;
      this.events.event(hpa, 'Warning', 'FailedGetScale', message);
      setCondition(status, 'AbleToScale', { status: 'False', reason: 'FailedGetScale', message: `the HPA controller was unable to get the target's current scale: ${message}` }, now);
      await this.writeStatus(hpa, status);
      throw new AutoscalerError(`failed to query scale subresource for ${reference}: ${message}`);
    }
    setCondition(status, 'AbleToScale', { status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" }, now);

    const current = scale.specReplicas;
    this.history.recordInitial(key, current, now);
    const min: number = spec.minReplicas ?? 1;
    const max: number = spec.maxReplicas;
    let desired = 0;
    let rescale = true;
    let reason = '';
    let outcome: MetricsOutcome | undefined;

    if (current === 0 && min !== 0) {
      // A target scaled to zero by hand: autoscaling is off until someone scales it up again.
      desired = 0;
      rescale = false;
      setCondition(status, 'ScalingActive', { status: 'False', reason: 'ScalingDisabled', message: 'scaling is disabled since the replica count of the target is zero' }, now);
    } else if (current > max) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = max;
    } else if (current < min) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = min;
    } else {
      outcome = await this.proposal(hpa, scale, status, now);
      if (outcome.replicas === -1) {
        status.currentReplicas = current;
        if (outcome.statuses.length > 0) status.currentMetrics = outcome.statuses;
        await this.writeStatus(hpa, status);
        const message = `failed to compute desired number of replicas based on listed metrics for ${reference}: ${outcome.error?.message}`;
        this.events.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', message);
        throw new AutoscalerError(message);
      }
      if (outcome.error) log.debug(`${key}: ${outcome.error.message}`);
      let metric = '';
      if (outcome.replicas > desired) [desired, metric] = [outcome.replicas, outcome.metric];
      if (desired > current) reason = `${metric} above target`;
      if (desired < current) reason = 'All metrics below target';
      const normalized = this.normalize(hpa, key, current, desired, min, max, now);
      setCondition(status, 'AbleToScale', normalized.ableToScale, now);
      setCondition(status, 'ScalingLimited', normalized.scalingLimited, now);
      desired = normalized.replicas;
      rescale = desired !== current;
    }

    if (rescale) {
      try {
        await this.scales.update(scale, desired);
      } catch (err) {
        const message = (err as Error).message;
        this.events.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${message}`);
        setCondition(status, 'AbleToScale', { status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${message}` }, now);
        status.currentReplicas = current;
        if (outcome?.statuses.length) status.currentMetrics = outcome.statuses;
        await this.writeStatus(hpa, status);
        throw new AutoscalerError(`failed to rescale ${reference}: ${message}`);
      }
      setCondition(status, 'AbleToScale', { status: 'True', reason: 'SucceededRescale', message: `the HPA controller was able to update the target scale to ${desired}` }, now);
      this.events.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.history.recordScale(key, spec.behavior as Behavior | undefined, current, desired, now);
      log.info(`${key}: scaled ${reference} from ${current} to ${desired} (${reason})`);
    } else {
      desired = current;
    }
    finishStatus(status, current, desired, outcome?.statuses, rescale, now);
    await this.writeStatus(hpa, status);
  }

  /** The pods behind the scale's selector and the metrics' proposal (upstream's validateAndParseSelector first). */
  private async proposal(hpa: KObject, scale: Scale, status: HpaStatus, now: number): Promise<MetricsOutcome> {
    const fail = (reason: string, event: string, message: string, condition = 'InvalidSelector'): MetricsOutcome => {
      this.events.event(hpa, 'Warning', reason, event);
      const verdict = { status: 'False' as const, reason: condition, message };
      setCondition(status, 'ScalingActive', verdict, now);
      return { replicas: -1, metric: '', statuses: [], scalingActive: verdict, error: new AutoscalerError(event) };
    };
    if (!scale.selector) return fail('SelectorRequired', 'selector is required', "the HPA target's scale is missing a selector");
    let requirements;
    try {
      requirements = parseLabelSelector(scale.selector);
    } catch (err) {
      const message = `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`;
      return fail('InvalidSelector', message, message);
    }
    const key = keyOf(hpa);
    if (this.selectors.has(key)) this.selectors.set(key, requirements);
    const pods = this.pods.byIndex(NAMESPACE_INDEX, hpa.metadata.namespace!).filter((p) => matchesLabels(requirements, p.metadata.labels));
    const selecting = this.hpasSelecting(hpa.metadata.namespace!, pods);
    if (selecting.length > 1) {
      // Two HPAs sizing the same pods would fight each other: neither acts.
      const message = `pods by selector ${scale.selector} are controlled by multiple HPAs: [${selecting.join(' ')}]`;
      return fail('AmbiguousSelector', message, message, 'AmbiguousSelector');
    }
    const outcome = await computeReplicasForMetrics(
      { hpa, specReplicas: scale.specReplicas, pods, selector: scale.selector, metrics: this.metrics, events: this.events, calculator: { ...DEFAULT_CALCULATOR, now } },
      (hpa.spec?.metrics ?? []) as MetricSpec[],
    );
    setCondition(status, 'ScalingActive', outcome.scalingActive, now);
    return outcome;
  }

  /** HPAs of the namespace whose last known selector matches any of the pods, sorted. */
  private hpasSelecting(namespace: string, pods: KObject[]): string[] {
    const found: string[] = [];
    for (const [key, requirements] of this.selectors) {
      if (!requirements || !key.startsWith(`${namespace}/`)) continue;
      if (pods.some((p) => matchesLabels(requirements, p.metadata.labels))) found.push(key);
    }
    return found.sort();
  }

  private normalize(hpa: KObject, key: string, current: number, desired: number, min: number, max: number, now: number): Normalized {
    const behavior = hpa.spec?.behavior as Behavior | undefined;
    if (!behavior) return this.history.normalize(key, current, desired, min, max, now);
    return this.history.normalizeWithBehavior(key, behavior, current, desired, min, max, now);
  }

  private async writeStatus(hpa: KObject, status: HpaStatus): Promise<void> {
    if (jsonEqual(hpa.status ?? {}, status)) return;
    const path = resourcePath({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: hpa.metadata.namespace, name: hpa.metadata.name, subresource: 'status' });
    try {
      await this.client.update(path, { ...hpa, apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', status });
    } catch (err) {
      this.events.event(hpa, 'Warning', 'FailedUpdateStatus', (err as Error).message);
      throw new AutoscalerError(`failed to update status for ${hpa.metadata.name}: ${(err as Error).message}`);
    }
  }
}

export const horizontalPodAutoscalerController = (): Controller => new HorizontalController();
