/**
 * pods/{[scheme:]name[:port]}/proxy and services/{[scheme:]name[:port]}/proxy: the API server
 * itself makes the request to the pod's address, as kube-apiserver does (not through the
 * kubelet), so it needs a route to the pod network — which every tsk server with its agent has
 * (its node's bridge and the routes to other nodes' podCIDRs). A Service's request goes to one
 * of its ready endpoints at random, on the port the Service port names. What `kubectl proxy`
 * and dashboards use: any method, the body passed on, the answer streamed back; the client's
 * credentials never reach the pod. WebSocket upgrades are not proxied (400).
 */
import http from 'node:http';
import https from 'node:https';
import type { KObject } from '../../api/types.ts';
import { storagePrefix } from '../storage/codec.ts';
import { apiErrors } from '../errors.ts';
import { isUpgrade } from '../http/upgrade.ts';
import { readBody } from '../http/body.ts';
import type { Scope } from './context.ts';
import { streamBody } from './kubeletproxy.ts';

interface Target {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

/** `[scheme:]name[:port]` as Kubernetes splits it (net.SplitSchemeNamePort). */
export function splitSchemeNamePort(id: string): { scheme: string; name: string; port: string } | undefined {
  const parts = id.split(':');
  if (parts.length === 1) return { scheme: '', name: parts[0]!, port: '' };
  if (parts.length === 2) return { scheme: '', name: parts[0]!, port: parts[1]! };
  if (parts.length === 3 && (parts[0] === 'http' || parts[0] === 'https')) return { scheme: parts[0]!, name: parts[1]!, port: parts[2]! };
  return undefined;
}

type Obj = Record<string, any>;

/** The pod's address and port: the one asked for, else its first declared container port. */
export function podTarget(pod: KObject, scheme: string, port: string): Target {
  const ip = (pod.status as Obj | undefined)?.podIP as string | undefined;
  if (!ip) throw apiErrors.unavailable(`pod ${pod.metadata.name} has no IP address yet`);
  let number = port === '' ? 0 : Number(port);
  if (port === '') {
    const declared = ((pod.spec as Obj | undefined)?.containers ?? []).flatMap((c: Obj) => c.ports ?? []);
    number = declared[0]?.containerPort ?? 0;
  }
  if (!Number.isInteger(number) || number <= 0 || number > 65535) throw apiErrors.badRequest(`invalid port: ${port}`);
  return { scheme: scheme === 'https' ? 'https' : 'http', host: ip, port: number };
}

/** One ready endpoint of the Service port named `port` (or numbered so), picked at random. */
export function serviceTarget(service: KObject, slices: KObject[], scheme: string, port: string, random = Math.random): Target {
  const name = service.metadata.name!;
  const ports = ((service.spec as Obj | undefined)?.ports ?? []) as Obj[];
  const servicePort = ports.find((p) => (p.name ?? '') === port || String(p.port) === port) ?? (port === '' && ports.length === 1 ? ports[0] : undefined);
  if (!servicePort) throw apiErrors.unavailable(`no endpoints available for service "${name}"`);
  const candidates: { ip: string; port: number }[] = [];
  for (const slice of slices) {
    const slicePort = ((slice as Obj).ports ?? []).find((p: Obj) => (p.name ?? '') === (servicePort.name ?? '') && (p.protocol ?? 'TCP') === (servicePort.protocol ?? 'TCP'));
    if (!slicePort?.port) continue;
    for (const endpoint of ((slice as Obj).endpoints ?? []) as Obj[]) {
      if (endpoint.conditions?.ready === false) continue;
      for (const ip of endpoint.addresses ?? []) candidates.push({ ip, port: slicePort.port });
    }
  }
  if (candidates.length === 0) throw apiErrors.unavailable(`no endpoints available for service "${name}"`);
  const chosen = candidates[Math.floor(random() * candidates.length)]!;
  return { scheme: scheme === 'https' ? 'https' : 'http', host: chosen.ip, port: chosen.port };
}

/** Headers of the client's hop or identity, which the pod must not see. */
const DROPPED = new Set(['host', 'authorization', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length']);

export async function handleNetworkProxy(scope: Scope): Promise<void> {
  const { ctx, def, info, req, res, query } = scope;
  if (isUpgrade(req)) throw apiErrors.badRequest('upgrades are not proxied to pods and services');
  const id = splitSchemeNamePort(info.name);
  if (!id) throw apiErrors.badRequest(`invalid service request ${info.name}`);
  let target: Target;
  if (def.plural === 'pods') {
    target = podTarget(await ctx.store.get(def, info.namespace, id.name), id.scheme, id.port);
  } else {
    const service = await ctx.store.get(def, info.namespace, id.name);
    const slicesDef = ctx.table.get('discovery.k8s.io', 'v1', 'endpointslices');
    const slices = slicesDef
      ? ctx.cache.list(slicesDef.storagePath, storagePrefix(slicesDef, info.namespace)).map((c) => c.obj)
        .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === id.name)
      : [];
    target = serviceTarget(service, slices, id.scheme, id.port);
  }
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined || key.startsWith(':') || DROPPED.has(key) || key.startsWith('impersonate-')) continue;
    headers[key] = value;
  }
  if (body) headers['content-length'] = String(body.length);
  const path = `/${info.rest.map(encodeURIComponent).join('/')}${query.size > 0 ? `?${query}` : ''}`;
  await new Promise<void>((resolve, reject) => {
    const client = target.scheme === 'https' ? https : http;
    // A pod's certificate is the pod's own business: Kubernetes does not verify it either.
    const upstream = client.request({ host: target.host, port: target.port, method: req.method, path, headers, agent: false, rejectUnauthorized: false, timeout: 30_000 }, (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [key, value] of Object.entries(answer.headers)) if (value !== undefined && !DROPPED.has(key)) out[key] = value;
      res.writeHead(answer.statusCode ?? 502, out);
      streamBody(answer, res, resolve);
    });
    res.on('close', () => upstream.destroy());
    upstream.on('timeout', () => upstream.destroy(new Error('no answer within 30 s')));
    upstream.on('error', (err) => {
      if (res.headersSent) return resolve();
      reject(apiErrors.unavailable(`error trying to reach ${def.plural === 'pods' ? 'pod' : 'service'}: dial tcp ${target.host}:${target.port}: ${err.message}`));
    });
    upstream.end(body);
  });
}
