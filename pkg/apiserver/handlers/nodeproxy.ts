/**
 * The pod subresources a kubelet answers (log, exec, attach, portforward, proxy), node proxy
 * and service proxy. The checks Kubernetes makes before it dials the kubelet are made here, with its
 * messages; kubeletproxy.ts then connects. Pod proxy and service proxy go straight to the pod
 * network (podproxy.ts), as in Kubernetes.
 */
import type { KObject } from '../../api/types.ts';
import { isTrue } from '../requestinfo.ts';
import { apiErrors } from '../errors.ts';
import { isUpgrade, takeUpgrade } from '../http/upgrade.ts';
import type { Scope } from './context.ts';
import { handleNetworkProxy } from './podproxy.ts';
import { kubeletTarget, proxyKubeletGet, proxyKubeletUpgrade, type KubeletTarget } from './kubeletproxy.ts';

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
    return proxyNode(scope, await ctx.store.get(def, '', info.name));
  }
  if (def.group === '' && (def.plural === 'services' || sub === 'proxy')) return handleNetworkProxy(scope);
  const pod = await ctx.store.get(def, info.namespace, info.name);
  const container = sub === 'log' || sub === 'exec' || sub === 'attach' ? resolveContainer(pod, query.get('container')) : '';
  const node = pod.spec?.nodeName;
  if (!node) throw apiErrors.badRequest(`pod ${info.name} does not have a host assigned`);
  const nodes = ctx.table.get('', 'v1', 'nodes');
  const nodeObject = nodes ? await ctx.store.get(nodes, '', node) : undefined;
  if (!ctx.kubelet || !nodeObject) {
    throw apiErrors.unavailable(`no kubelet connection to node "${node}" yet: pod ${sub} is served by the agent`);
  }
  const target = kubeletTarget(nodeObject, ctx.kubelet);
  const names = [info.namespace, info.name, ...(container ? [container] : [])].map(encodeURIComponent).join('/');
  if (sub === 'log') return proxyKubeletGet(target, `/containerLogs/${names}${logQuery(query)}`, scope.res);
  if (sub === 'portforward') return proxyUpgrade(scope, target, `/portForward/${names}${portQuery(query)}`);
  const kubeletQuery = streamQuery(query);
  if (!['stdin', 'stdout', 'stderr'].some((s) => kubeletQuery.has(s))) throw apiErrors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  if (sub === 'exec') for (const c of query.getAll('command')) kubeletQuery.append('command', c);
  return proxyUpgrade(scope, target, `/${sub}/${names}?${kubeletQuery}`);
}

/** nodes/{name}/proxy/{path}: GETs on the kubelet's own API (/healthz, /pods, /containerLogs…). */
async function proxyNode(scope: Scope, node: KObject): Promise<void> {
  const { ctx, info, query, req } = scope;
  if (!ctx.kubelet) throw apiErrors.unavailable(`no kubelet connection to node "${info.name}" yet: nodes are served by the agent`);
  if (req.method !== 'GET') throw apiErrors.methodNotAllowed(`${req.method} is not proxied to kubelets`);
  const rest = query.size > 0 ? `?${query}` : '';
  return proxyKubeletGet(kubeletTarget(node, ctx.kubelet), `/${info.rest.map(encodeURIComponent).join('/')}${rest}`, scope.res, 'application/json');
}

/** The client's upgrade, passed to the kubelet; a plain request (HTTP/2, or no Upgrade header) cannot be. */
function proxyUpgrade(scope: Scope, target: KubeletTarget, path: string): Promise<void> {
  const { req, res } = scope;
  if (!isUpgrade(req)) throw apiErrors.badRequest('Upgrade request required');
  return proxyKubeletUpgrade(target, path, req, () => takeUpgrade(req, res)!);
}

const LOG_PARAMS = ['follow', 'previous', 'timestamps', 'tailLines', 'sinceSeconds', 'sinceTime', 'limitBytes'];
const BOOLEAN_LOG_PARAMS = new Set(['follow', 'previous', 'timestamps']);

function logQuery(query: URLSearchParams): string {
  const out = new URLSearchParams();
  for (const name of LOG_PARAMS) {
    const value = query.get(name);
    if (value === null) continue;
    if (BOOLEAN_LOG_PARAMS.has(name)) {
      if (isTrue(value)) out.set(name, 'true');
    } else out.set(name, value);
  }
  return out.size > 0 ? `?${out}` : '';
}

/** stdin/stdout/stderr/tty as the kubelet reads them ("1" when asked for). */
function streamQuery(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const name of ['stdin', 'stdout', 'stderr', 'tty']) if (isTrue(query.get(name))) out.set(name, '1');
  return out;
}

function portQuery(query: URLSearchParams): string {
  const out = new URLSearchParams();
  for (const p of query.getAll('ports')) for (const port of p.split(',')) out.append('port', port.trim());
  return out.size > 0 ? `?${out}` : '';
}
