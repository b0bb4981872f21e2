/**
 * From a parsed request to its handler: resource requests resolve through the table (404 for
 * unknown resources and subresources, 405 for verbs the resource does not serve), the rest
 * are discovery, health, version and OpenAPI.
 */
import type { ResourceDefinition, UserInfo } from '../api/types.ts';
import { ApiError, apiErrors } from './errors.ts';
import type { ApiContext, Scope } from './handlers/context.ts';
import { virtualKey } from './handlers/context.ts';
import { handleGet, handleList } from './handlers/list.ts';
import { handleKubeletSubresource } from './handlers/nodeproxy.ts';
import { handleReadOnly } from './handlers/readonly.ts';
import { handleBinding, handleScale } from './handlers/subresources.ts';
import { handleWatch } from './handlers/watch.ts';
import { checkPathSegmentName, dryRunOf, handleCreate, handleDelete, handleDeleteCollection, handlePatch, handleUpdate, readObject } from './handlers/write.ts';
import type { Request } from './http/body.ts';
import { negotiate, PageNotFound, sendObject, type Response } from './http/respond.ts';
import type { RequestInfo } from './requestinfo.ts';

export function notFoundPath(): Error {
  const err = apiErrors.notFound({ group: '', resource: '' }, '');
  err.message = 'the server could not find the requested resource';
  err.details!.kind = undefined;
  delete err.details!.kind;
  delete err.details!.group;
  return err;
}

/** go-restful's 405 for a route without that method, as NewGenericServerResponse words it. */
function methodNotAllowed(): Error {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

/**
 * Built-in groups have web services that answer unknown paths under them with a 404 Status;
 * other groups (custom resources, or none) fall through to Go's plain "404 page not found".
 */
function unknownPath(ctx: ApiContext, info: RequestInfo): Error {
  const builtIn = info.apiPrefix === 'api' || ctx.table.all().some((d) => d.group === info.group && !d.custom);
  return builtIn ? notFoundPath() : new PageNotFound();
}

/** The definition a resource request names, or 404 as Kubernetes answers unknown paths. */
export function resolveDefinition(ctx: ApiContext, info: RequestInfo): ResourceDefinition {
  const def = ctx.table.get(info.group, info.version, info.resource);
  if (!def) throw unknownPath(ctx, info);
  if (!def.namespaced && info.namespace !== '' && info.resource !== 'namespaces') throw unknownPath(ctx, info);
  if (info.subresource !== '' && !def.subresources?.includes(info.subresource)) throw unknownPath(ctx, info);
  return def;
}

export async function serveResource(ctx: ApiContext, req: Request, res: Response, info: RequestInfo, user: UserInfo, query: URLSearchParams): Promise<void> {
  const def = resolveDefinition(ctx, info);
  const output = negotiate(req.headers.accept);
  const scope: Scope = { ctx, req, res, info, def, user, query, output };
  // Kubernetes 1.33 warns on every use of the core Endpoints API (KEP-4974); kubectl prints it.
  if (def.group === '' && def.plural === 'endpoints') res.setHeader('warning', '299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"');
  const verb = info.verb;
  const virtual = ctx.virtual.get(virtualKey(def.group, def.version, def.plural, info.subresource));
  if (virtual) {
    if (req.method !== 'POST') throw methodNotAllowed();
    dryRunOf(query);
    const body = await readObject(virtual.bodyKind ? { ...scope, def: { ...def, ...virtual.bodyKind } } : scope);
    const result = await virtual.handle(scope, body);
    sendObject(res, result.code, result.body, output);
    return;
  }
  const readOnly = ctx.readOnly?.get(virtualKey(def.group, def.version, def.plural, info.subresource));
  if (readOnly) {
    if (verb !== 'get' && verb !== 'list') throw methodNotAllowed();
    if (verb === 'get') {
      if (def.namespaced && info.namespace === '') throw notFoundPath();
      checkPathSegmentName(info.name);
    }
    return handleReadOnly(scope, readOnly);
  }
  if (def.virtual) throw methodNotAllowed();
  if (def.namespaced && info.namespace === '' && !['list', 'watch'].includes(verb)) throw notFoundPath();

  switch (info.subresource) {
    case '':
      break;
    case 'status':
    case 'finalize':
    case 'approval':
    case 'ephemeralcontainers':
    case 'resize':
      if (verb === 'get') return handleGet(scope);
      if (verb === 'update') return handleUpdate(scope);
      if (verb === 'patch') return handlePatch(scope);
      throw methodNotAllowed();
    case 'scale':
      return handleScale(scope);
    case 'binding':
      if (verb !== 'create') throw methodNotAllowed();
      return handleBinding(scope, info.name);
    case 'log':
    case 'exec':
    case 'attach':
    case 'portforward':
    case 'proxy':
      return handleKubeletSubresource(scope);
    default:
      throw notFoundPath();
  }
  if (def.plural === 'bindings' && def.group === '' && verb === 'create') {
    const binding = await readObject(scope);
    return handleBinding({ ...scope, info: { ...info, subresource: 'binding' } }, binding.metadata.name ?? '');
  }
  if (!def.verbs.includes(verb as never)) throw methodNotAllowed();
  // No route takes PUT or PATCH on a collection.
  if ((verb === 'update' || verb === 'patch') && info.name === '') throw methodNotAllowed();
  if (verb === 'get' || verb === 'patch' || verb === 'delete') checkPathSegmentName(info.name);
  switch (verb) {
    case 'get':
      return handleGet(scope);
    case 'list':
      return handleList(scope);
    case 'watch':
      return handleWatch(scope);
    case 'create':
      if (info.name !== '') throw methodNotAllowed();
      return handleCreate(scope);
    case 'update':
      return handleUpdate(scope);
    case 'patch':
      return handlePatch(scope);
    case 'delete':
      return handleDelete(scope);
    case 'deletecollection':
      return handleDeleteCollection(scope);
    default:
      throw methodNotAllowed();
  }
}
