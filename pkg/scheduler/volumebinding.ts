/**
 * kube-scheduler's VolumeBinding plugin, the parts tsk's volumes need:
 *
 *   PreFilter  the pod's claims must exist and not be being deleted; an unbound claim of an
 *              Immediate class makes the pod wait for the binder ("pod has unbound immediate
 *              PersistentVolumeClaims"), as Kubernetes does
 *   Filter     a bound claim's volume must admit the node (its node affinity); an unbound
 *              WaitForFirstConsumer claim needs an Available volume that admits the node, or a
 *              class that provisions (not kubernetes.io/no-provisioner), and a claim already
 *              given a node (selected-node) only fits that node
 *   PreBind    before the pod's binding is written: a matching static volume is pre-bound to
 *              the claim (claimRef), otherwise the claim gets volume.kubernetes.io/selected-node
 *              and its provisioner makes the volume there; then it waits, bounded, until every
 *              claim is Bound, so the kubelet never sees a pod whose claims have no volume
 */
import type { KObject } from '../api/types.ts';
import { isClientError, type Client } from '../client/client.ts';
import { resourcePath } from '../client/paths.ts';
import {
  ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, claimClass, claimIsBound, findBestMatch, podClaimNames, volumeAdmitsNode, WAIT_FOR_FIRST_CONSUMER,
} from '../controllers/persistentvolume/helpers.ts';
import type { Failure, NodeFilter } from './filters.ts';
import type { PodInfo } from './nodeinfo.ts';

export const VOLUME_REASON = {
  affinityConflict: 'node(s) had volume node affinity conflict',
  noMatch: "node(s) didn't find available persistent volumes to bind",
  pvMissing: 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)',
  unboundImmediate: 'pod has unbound immediate PersistentVolumeClaims',
};

/** What the plugin reads (the scheduler's informers; tests give maps). */
export interface VolumeListers {
  claim(namespace: string, name: string): KObject | undefined;
  volume(name: string): KObject | undefined;
  volumes(): Iterable<KObject>;
  storageClass(name: string): KObject | undefined;
}

/** Either a filter for the nodes (none: nothing to check) or why no node can take the pod. */
export interface VolumeCheck {
  filter?: NodeFilter;
  preFilterMessage?: string;
}

interface NodeView {
  name: string;
  labels: Record<string, string>;
}

const unresolvable = (reason: string): Failure => ({ reasons: [reason], unresolvable: true });

interface PodClaims {
  bound: KObject[];
  /** Unbound claims of WaitForFirstConsumer classes. */
  delayed: KObject[];
  missingVolume: boolean;
}

function podClaims(pod: KObject, listers: VolumeListers): PodClaims | string {
  const out: PodClaims = { bound: [], delayed: [], missingVolume: false };
  const ns = pod.metadata.namespace ?? '';
  for (const name of podClaimNames(pod)) {
    const claim = listers.claim(ns, name);
    if (!claim) return `persistentvolumeclaim "${name}" not found`;
    if (claim.metadata.deletionTimestamp) return `persistentvolumeclaim "${name}" is being deleted`;
    if (claim.spec?.volumeName) {
      const pv = listers.volume(claim.spec.volumeName);
      if (pv) out.bound.push(pv);
      else out.missingVolume = true;
      continue;
    }
    const cls = listers.storageClass(claimClass(claim));
    if (cls?.volumeBindingMode !== WAIT_FOR_FIRST_CONSUMER) return VOLUME_REASON.unboundImmediate;
    out.delayed.push(claim);
  }
  return out;
}

/** For each delayed claim on this node: the static volume it would take, or 'provision'; undefined if some claim cannot be served. */
function planFor(delayed: KObject[], node: NodeView, listers: VolumeListers): Map<KObject, KObject | 'provision'> | undefined {
  const plan = new Map<KObject, KObject | 'provision'>();
  const taken = new Set<string>();
  for (const claim of delayed) {
    const selected = claim.metadata.annotations?.[ANN_SELECTED_NODE];
    if (selected !== undefined && selected !== node.name) return undefined;
    const pv = findBestMatch(claim, listers.volumes(), { delayBinding: true, admits: (v) => !taken.has(v.metadata.name!) && volumeAdmitsNode(v, node) });
    if (pv) {
      taken.add(pv.metadata.name!);
      plan.set(claim, pv);
      continue;
    }
    const provisioner = listers.storageClass(claimClass(claim))?.provisioner;
    if (!provisioner || provisioner === 'kubernetes.io/no-provisioner') return undefined;
    plan.set(claim, 'provision');
  }
  return plan;
}

export function volumeBinding(info: PodInfo, listers: VolumeListers): VolumeCheck {
  if (podClaimNames(info.pod).length === 0) return {};
  const claims = podClaims(info.pod, listers);
  if (typeof claims === 'string') return { preFilterMessage: claims };
  return {
    filter: (node) => {
      if (claims.missingVolume) return unresolvable(VOLUME_REASON.pvMissing);
      if (claims.bound.some((pv) => !volumeAdmitsNode(pv, node))) return unresolvable(VOLUME_REASON.affinityConflict);
      if (claims.delayed.length > 0 && !planFor(claims.delayed, node, listers)) return unresolvable(VOLUME_REASON.noMatch);
      return undefined;
    },
  };
}

/** A PreBind failure: the pod goes back to the queue with a FailedScheduling event. */
export class VolumeBindingError extends Error {
  readonly code = 'VolumeBinding';
}

export interface PreBindOptions {
  /** How long to wait for the claims to become Bound (kube-scheduler's bindTimeoutSeconds: 600). */
  timeoutMs?: number;
  pollMs?: number;
}

export class VolumePreBinder {
  constructor(private readonly client: Client, private readonly listers: VolumeListers, private readonly options: PreBindOptions = {}) {}

  /** Nothing to do (resolves at once) for pods without unbound claims. */
  async preBind(pod: KObject, node: NodeView): Promise<void> {
    if (podClaimNames(pod).length === 0) return;
    const claims = podClaims(pod, this.listers);
    if (typeof claims === 'string') throw new VolumeBindingError(claims);
    if (claims.delayed.length === 0) return;
    const plan = planFor(claims.delayed, node, this.listers);
    if (!plan) throw new VolumeBindingError(`binding volumes: ${VOLUME_REASON.noMatch} on node ${node.name}`);
    try {
      for (const [claim, choice] of plan) {
        if (choice === 'provision') await this.selectNode(claim, node.name);
        else await this.preBindVolume(choice, claim);
      }
    } catch (err) {
      if (isClientError(err)) throw new VolumeBindingError(`binding volumes: ${(err as Error).message}`);
      throw err;
    }
    await this.waitBound(pod.metadata.namespace ?? '', [...plan.keys()].map((c) => c.metadata.name!));
  }

  private async selectNode(claim: KObject, node: string): Promise<void> {
    if (claim.metadata.annotations?.[ANN_SELECTED_NODE] === node) return;
    const path = resourcePath({ version: 'v1', resource: 'persistentvolumeclaims', namespace: claim.metadata.namespace, name: claim.metadata.name });
    await this.client.patch(path, { metadata: { annotations: { [ANN_SELECTED_NODE]: node }, resourceVersion: claim.metadata.resourceVersion } }, 'merge');
  }

  private async preBindVolume(pv: KObject, claim: KObject): Promise<void> {
    if (pv.spec?.claimRef?.uid === claim.metadata.uid) return;
    const next = structuredClone(pv);
    next.spec.claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, resourceVersion: claim.metadata.resourceVersion };
    (next.metadata.annotations ??= {})[ANN_BOUND_BY_CONTROLLER] = 'yes';
    await this.client.update(resourcePath({ version: 'v1', resource: 'persistentvolumes', name: pv.metadata.name }), next);
  }

  private async waitBound(namespace: string, names: string[]): Promise<void> {
    const deadline = Date.now() + (this.options.timeoutMs ?? 120_000);
    for (;;) {
      const pending = names.filter((n) => {
        const c = this.listers.claim(namespace, n);
        return !c || !claimIsBound(c);
      });
      if (pending.length === 0) return;
      const gone = pending.find((n) => !this.listers.claim(namespace, n));
      if (gone) throw new VolumeBindingError(`binding volumes: persistentvolumeclaim "${gone}" not found`);
      if (Date.now() >= deadline) throw new VolumeBindingError(`binding volumes: timed out waiting for the condition (claims not bound: ${pending.join(', ')})`);
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 100));
    }
  }
}
