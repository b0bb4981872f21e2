/**
 * DefaultPreemption: when a pod fits nowhere, find nodes where deleting pods of lower
 * priority would make it fit (trying each node with all of them gone, then giving back as many
 * as still leave room, budget-protected pods first), pick the node whose victims matter least
 * (fewest PodDisruptionBudget violations, lowest highest priority, lowest priority sum, fewest
 * pods), delete the victims with their grace period and nominate the node for the pod. Until
 * the pod is bound, what it will need on that node is held back from pods of lower priority.
 * The message for nodes where it cannot help uses kube-scheduler's words.
 */
import { labelSelectorMatches } from '../api/validation/meta.ts';
import type { KObject } from '../api/types.ts';
import type { Client } from '../client/client.ts';
import type { EventSink } from '../client/events.ts';
import type { Informer } from '../client/informer.ts';
import { resourcePath } from '../client/paths.ts';
import { logger } from '../log/log.ts';
import { podPlugins, runFilters } from './algorithm.ts';
import type { SchedulerCache } from './cache.ts';
import type { Failure } from './filters.ts';
import { fitErrorMessage, PREEMPTION } from './messages.ts';
import type { NodeInfo, PodInfo } from './nodeinfo.ts';
import { sumInto, type ResourceList } from './resources.ts';
import type { PodStatusWriter } from './status.ts';
import type { Pod } from './types.ts';

const log = logger('scheduler');

const MIN_CANDIDATES = 100;
const CANDIDATE_SHARE = 0.1;

interface Candidate {
  node: string;
  victims: PodInfo[];
  pdbViolations: number;
}

export interface PreemptionResult {
  /** For the FailedScheduling message (after "0/N nodes are available: …."); absent when preemption started. */
  message?: string;
  /** The node nominated for the pod; '' when a nomination it had no longer holds. */
  node?: string;
}

export class Preemptor {
  /** pod key → node it was nominated to and what it needs. */
  private readonly nominations = new Map<string, { node: string; info: PodInfo }>();

  constructor(
    private readonly client: Client,
    private readonly cache: SchedulerCache,
    private readonly pdbs: Informer<KObject>,
    private readonly recorder: EventSink,
    private readonly status: PodStatusWriter,
    private readonly schedulerName: string,
  ) {}

  /** What pods nominated to `node` with at least `info`'s priority need there (plus their count as `pods`). */
  nominatedResources(info: PodInfo, node: string): ResourceList | undefined {
    let out: ResourceList | undefined;
    for (const [key, n] of this.nominations) {
      if (n.node !== node || key === info.key || n.info.priority < info.priority) continue;
      out ??= { pods: 0 };
      sumInto(out, n.info.req.requests);
      out.pods! += 1;
    }
    return out;
  }

  clearNomination(key: string): void {
    this.nominations.delete(key);
  }

  preempt(info: PodInfo, failures: Map<string, Failure>, numAllNodes: number): PreemptionResult {
    const pod = info.pod;
    if (pod.spec?.preemptionPolicy === 'Never') return { message: PREEMPTION.prefix + PREEMPTION.never, node: '' };
    const nominated = this.nominations.get(info.key)?.node ?? pod.status?.nominatedNodeName;
    // Victims already on their way out: wait for them rather than preempt more.
    if (nominated && [...(this.cache.nodeInfo(nominated)?.pods.values() ?? [])].some((p) => p.pod.metadata.deletionTimestamp && p.priority < info.priority)) {
      return { message: PREEMPTION.prefix + 'not eligible due to a terminating pod on the nominated node.', node: nominated };
    }
    const statuses = new Map<string, Failure>();
    const candidates: Candidate[] = [];
    const nodes = this.cache.nodeInfos();
    // As kube-scheduler: enough candidates to choose well (10% of the nodes, at least 100), not all.
    const enough = Math.max(MIN_CANDIDATES, Math.ceil(nodes.length * CANDIDATE_SHARE));
    for (const node of nodes) {
      if (candidates.length >= enough) break;
      const failure = failures.get(node.name);
      if (!failure) continue;
      if (failure.unresolvable) {
        statuses.set(node.name, { reasons: [PREEMPTION.notHelpful], unresolvable: true });
        continue;
      }
      const result = this.victimsOn(info, node);
      if ('reasons' in result) statuses.set(node.name, result);
      else candidates.push(result);
    }
    if (candidates.length === 0) {
      this.nominations.delete(info.key);
      return { message: PREEMPTION.prefix + fitErrorMessage(numAllNodes, statuses.values()), node: '' };
    }
    const best = pickCandidate(candidates);
    this.nominations.set(info.key, { node: best.node, info });
    for (const victim of best.victims) void this.evict(victim.pod, pod, best.node);
    // Pods of lower priority nominated to the same node lose their claim.
    for (const [key, n] of this.nominations) if (n.node === best.node && n.info.priority < info.priority) this.nominations.delete(key);
    log.info(`preempting ${best.victims.length} pod(s) on ${best.node} for ${info.key}`);
    return { node: best.node };
  }

  private victimsOn(info: PodInfo, node: NodeInfo): Candidate | Failure {
    const lower = [...node.pods.values()].filter((p) => p.priority < info.priority);
    if (lower.length === 0) return { reasons: [PREEMPTION.noVictims], unresolvable: true };
    const fits = () => runFilters(podPlugins(info, this.cache, this.cache.nodeInfos()).filters, node);
    return this.cache.withoutPods(lower, () => {
      const failure = fits();
      if (failure) return failure;
      // Give back as many as still leave room: budget-protected pods first, higher priority first.
      const budgets = this.budgetsLeft();
      const violating = lower.filter((p) => this.violatesBudget(p, budgets, false));
      const order = (a: PodInfo, b: PodInfo) => b.priority - a.priority || startTime(a) - startTime(b);
      const victims: PodInfo[] = [];
      let pdbViolations = 0;
      for (const group of [violating.sort(order), lower.filter((p) => !violating.includes(p)).sort(order)]) {
        for (const p of group) {
          this.cache.restore(p);
          if (!fits()) continue;
          this.cache.withdraw(p);
          victims.push(p);
          if (group === violating && this.violatesBudget(p, budgets, true)) pdbViolations++;
        }
      }
      return { node: node.name, victims, pdbViolations };
    });
  }

  /** PDB uid → disruptions still allowed. */
  private budgetsLeft(): Map<KObject, number> {
    return new Map(this.pdbs.list().map((b) => [b, Number(b.status?.disruptionsAllowed ?? 0)]));
  }

  /** Whether evicting `p` would break a budget; `take` spends one disruption of each matching budget. */
  private violatesBudget(p: PodInfo, budgets: Map<KObject, number>, take: boolean): boolean {
    let violates = false;
    for (const [pdb, left] of budgets) {
      if (pdb.metadata.namespace !== p.pod.metadata.namespace) continue;
      const selector = pdb.spec?.selector;
      const empty = !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
      if (empty || !labelSelectorMatches(selector, p.pod.metadata.labels)) continue;
      if (left <= 0) violates = true;
      if (take) budgets.set(pdb, left - 1);
    }
    return violates;
  }

  private async evict(victim: Pod, preemptor: Pod, node: string): Promise<void> {
    const { name, namespace } = victim.metadata;
    try {
      await this.status.disruptionTarget(victim, this.schedulerName);
      await this.client.delete(resourcePath({ version: 'v1', resource: 'pods', namespace, name }), {
        preconditions: { uid: victim.metadata.uid },
        ...(victim.spec?.terminationGracePeriodSeconds !== undefined ? { gracePeriodSeconds: victim.spec.terminationGracePeriodSeconds } : {}),
      });
      this.recorder.event(victim, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata.uid} on node ${node}`);
    } catch (err) {
      log.warn(`preempting ${namespace}/${name}: ${(err as Error).message}`);
    }
  }
}

function startTime(p: PodInfo): number {
  return Date.parse(p.pod.status?.startTime ?? p.pod.metadata.creationTimestamp ?? '') || 0;
}

/** kube-scheduler's order: fewest budget violations, lowest top victim priority, lowest sum, fewest victims, latest start. */
export function pickCandidate(candidates: Candidate[]): Candidate {
  const top = (c: Candidate) => Math.max(...c.victims.map((v) => v.priority), -Infinity);
  const sum = (c: Candidate) => c.victims.reduce((s, v) => s + v.priority + 2 ** 31, 0);
  const latest = (c: Candidate) => Math.max(0, ...c.victims.filter((v) => v.priority === top(c)).map(startTime));
  const criteria: ((c: Candidate) => number)[] = [(c) => c.pdbViolations, top, sum, (c) => c.victims.length, (c) => -latest(c)];
  let pool = candidates;
  for (const f of criteria) {
    const best = Math.min(...pool.map(f));
    pool = pool.filter((c) => f(c) === best);
    if (pool.length === 1) break;
  }
  return pool[0]!;
}
