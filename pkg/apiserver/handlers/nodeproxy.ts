/**
 * The pod subresources a kubelet answers (log, exec, attach, portforward, proxy), node proxy
 * and service proxy. The checks Kubernetes makes before it dials the kubelet are made here, with its
 * messages; the kubelet connection itself comes with the agent (until then: 503).
 */
import type { KObject } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';
import type { Scope } from './context.ts';

function containerNames(pod: KObject): string[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...(pod.spec?.ephemeralContainers ?? [])].map((c: { name: string }) => c.name);
}

/** The container a log/exec/attach request means, as Kubernetes resolves ?container=. */
function resolveContainer(pod: KObject, requested: string | null): string {
  const name = pod.metadata.name!;
  if (requested) {
    if (!containerNames(pod).includes(requested)) throw apiErrors.badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const regular = (pod.spec?.containers ?? []).map((c: { name: string }) => c.name);
  const defaulted = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
  if (defaulted && regular.includes(defaulted)) return defaulted;
  if (regular.length === 1) return regular[0]!;
  throw apiErrors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${regular.join(' ')}]`);
}

export async function handleKubeletSubresource(scope: Scope): Promise<void> {
  const { ctx, def, info, query } = scope;
  const sub = info.subresource;
  if (def.group === '' && def.plural === 'nodes') {
    await ctx.store.get(def, '', info.name);
    throw apiErrors.unavailable(`no kubelet connection to node "${info.name}" yet: nodes are served by the agent`);
  }
  if (def.group === '' && def.plural === 'services') {
    // services/[scheme:]name[:port]/proxy: the service must exist; its endpoints come from the agent's network.
    const parts = info.name.split(':');
    const name = parts.length === 3 ? parts[1]! : parts.length === 2 && (parts[0] === 'http' || parts[0] === 'https') ? parts[1]! : parts[0]!;
    await ctx.store.get(def, info.namespace, name);
    throw apiErrors.unavailable(`no endpoints available for service "${name}"`);
  }
  const pod = await ctx.store.get(def, info.namespace, info.name);
  if (sub === 'log' || sub === 'exec' || sub === 'attach') resolveContainer(pod, query.get('container'));
  const node = pod.spec?.nodeName;
  if (!node) throw apiErrors.badRequest(`pod ${info.name} does not have a host assigned`);
  const nodes = ctx.table.get('', 'v1', 'nodes');
  if (nodes) await ctx.store.get(nodes, '', node);
  throw apiErrors.unavailable(`no kubelet connection to node "${node}" yet: pod ${sub} is served by the agent`);
}
