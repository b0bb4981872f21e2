/**
 * What the node authorizer decides from, kept up to date from pod events (Kubernetes keeps a
 * graph for the same purpose): the pods bound to each node, and for every secret, configmap,
 * claim and service account a pod references, how many pods of each node reference it.
 * Every check is then a few map lookups, whatever the number of pods in the cluster; only a
 * persistent volume check walks the claims of the node's own pods.
 */
import type { KObject } from '../../api/types.ts';

export type RefKind = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts';

export interface PodRefs {
  namespace: string;
  refs: Record<RefKind, Set<string>>;
}

type Plugin = Record<string, { name?: unknown } | undefined>;

/** Every object a pod names that its node must read to run it. */
export function podReferences(pod: KObject): PodRefs {
  const refs: Record<RefKind, Set<string>> = { secrets: new Set(), configmaps: new Set(), persistentvolumeclaims: new Set(), serviceaccounts: new Set() };
  const add = (kind: RefKind, name: unknown) => {
    if (typeof name === 'string' && name !== '') refs[kind].add(name);
  };
  const spec = pod.spec ?? {};
  add('serviceaccounts', spec.serviceAccountName);
  for (const s of spec.imagePullSecrets ?? []) add('secrets', s?.name);
  for (const v of spec.volumes ?? []) {
    add('secrets', v?.secret?.secretName);
    add('configmaps', v?.configMap?.name);
    add('persistentvolumeclaims', v?.persistentVolumeClaim?.claimName);
    if (v?.ephemeral) add('persistentvolumeclaims', `${pod.metadata.name}-${v.name}`);
    for (const src of v?.projected?.sources ?? []) {
      add('secrets', src?.secret?.name);
      add('configmaps', src?.configMap?.name);
    }
    // Volume plugins that read credentials from a secret name it as secretRef or nodePublishSecretRef.
    for (const plugin of Object.values(v ?? {})) {
      if (plugin && typeof plugin === 'object') {
        add('secrets', (plugin as Plugin).secretRef?.name);
        add('secrets', (plugin as Plugin).nodePublishSecretRef?.name);
      }
    }
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    for (const e of c?.env ?? []) {
      add('secrets', e?.valueFrom?.secretKeyRef?.name);
      add('configmaps', e?.valueFrom?.configMapKeyRef?.name);
    }
    for (const e of c?.envFrom ?? []) {
      add('secrets', e?.secretRef?.name);
      add('configmaps', e?.configMapRef?.name);
    }
  }
  return { namespace: pod.metadata.namespace ?? '', refs };
}

const podKey = (namespace: string, name: string) => `${namespace}/${name}`;
const refKey = (kind: RefKind, namespace: string, name: string) => `${kind}/${namespace}/${name}`;

export class PodGraph {
  /** node → pod key → what the pod references. */
  private readonly byNode = new Map<string, Map<string, PodRefs>>();
  /** pod key → the node it is bound to. */
  private readonly nodeOfPod = new Map<string, string>();
  /** kind/namespace/name → node → number of its pods that reference the object. */
  private readonly referrers = new Map<string, Map<string, number>>();

  /** Starts over from a full list (at start, and when the cache that feeds us reloads). */
  reset(pods: Iterable<KObject>): void {
    this.byNode.clear();
    this.nodeOfPod.clear();
    this.referrers.clear();
    for (const pod of pods) this.apply(undefined, pod);
  }

  /** One pod event: `prev` is what was indexed before, `next` what is now (undefined: deleted). */
  apply(prev: KObject | undefined, next: KObject | undefined): void {
    if (prev) this.remove(podKey(prev.metadata.namespace ?? '', prev.metadata.name!));
    if (next) this.add(next);
  }

  hasPod(node: string, namespace: string, name: string): boolean {
    return this.nodeOfPod.get(podKey(namespace, name)) === node;
  }

  /** Whether some pod bound to `node` references this object. */
  references(node: string, kind: RefKind, namespace: string, name: string): boolean {
    return (this.referrers.get(refKey(kind, namespace, name))?.get(node) ?? 0) > 0;
  }

  /** The claims of the node's pods, as [namespace, claim name]. */
  *claimsOn(node: string): IterableIterator<[string, string]> {
    for (const pod of this.byNode.get(node)?.values() ?? []) {
      for (const claim of pod.refs.persistentvolumeclaims) yield [pod.namespace, claim];
    }
  }

  private add(pod: KObject): void {
    const node = pod.spec?.nodeName;
    if (typeof node !== 'string' || node === '') return;
    const key = podKey(pod.metadata.namespace ?? '', pod.metadata.name!);
    const refs = podReferences(pod);
    let pods = this.byNode.get(node);
    if (!pods) this.byNode.set(node, (pods = new Map()));
    pods.set(key, refs);
    this.nodeOfPod.set(key, node);
    this.count(node, refs, 1);
  }

  private remove(key: string): void {
    const node = this.nodeOfPod.get(key);
    if (node === undefined) return;
    const pods = this.byNode.get(node)!;
    const refs = pods.get(key)!;
    pods.delete(key);
    if (pods.size === 0) this.byNode.delete(node);
    this.nodeOfPod.delete(key);
    this.count(node, refs, -1);
  }

  private count(node: string, pod: PodRefs, delta: 1 | -1): void {
    for (const kind of Object.keys(pod.refs) as RefKind[]) {
      for (const name of pod.refs[kind]) {
        const key = refKey(kind, pod.namespace, name);
        let byNode = this.referrers.get(key);
        if (!byNode) this.referrers.set(key, (byNode = new Map()));
        const n = (byNode.get(node) ?? 0) + delta;
        if (n > 0) byNode.set(node, n);
        else byNode.delete(node);
        if (byNode.size === 0) this.referrers.delete(key);
      }
    }
  }
}
