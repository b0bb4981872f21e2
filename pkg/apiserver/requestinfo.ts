/**
 * What a request is about, read from its method and path as Kubernetes' RequestInfoFactory
 * does: /api/v1/namespaces/default/pods/web/status → verb, group '', version v1, namespace,
 * resource pods, name web, subresource status. Authorization and routing both use it.
 */

export interface RequestInfo {
  /** false for /healthz, /version, /openapi/…, discovery roots. */
  isResourceRequest: boolean;
  path: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection, or the lowercased method for non-resource paths. */
  verb: string;
  apiPrefix: 'api' | 'apis' | '';
  group: string;
  version: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after the subresource (proxy paths, log is empty). */
  rest: string[];
}

const METHOD_VERB: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', GET: 'get', HEAD: 'get', DELETE: 'delete' };

export class BadPathError extends Error {}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadPathError(`invalid path segment ${segment}`);
  }
}

export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    group: '',
    version: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    rest: [],
  };
  const raw = path.split('/').filter((s, i) => i > 0 || s !== '');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  const parts = raw.map(decode);
  if (parts.some((p) => p === '.' || p === '..')) throw new BadPathError(`path ${path} is not canonical`);
  if (parts[0] !== 'api' && parts[0] !== 'apis') return info;
  info.apiPrefix = parts[0];
  let i = 1;
  if (info.apiPrefix === 'apis') {
    if (parts.length < 3) return info; // /apis, /apis/<group>
    info.group = parts[i++]!;
  } else if (parts.length < 2) {
    return info; // /api
  }
  info.version = parts[i++]!;
  if (parts.length === i) return info; // group-version discovery
  info.isResourceRequest = true;
  let segments = parts.slice(i);
  let watchPath = false;
  if (segments[0] === 'watch') {
    watchPath = true;
    segments = segments.slice(1);
  }
  info.verb = METHOD_VERB[method] ?? method.toLowerCase();
  if (segments[0] === 'namespaces' && segments.length >= 2) {
    info.namespace = segments[1]!;
    if (segments.length >= 3) {
      segments = segments.slice(2);
    } else {
      // /namespaces/<name> is the namespace itself.
      segments = ['namespaces', segments[1]!];
      info.namespace = '';
    }
  }
  // /namespaces/<name>/status and /finalize are subresources of the namespace.
  if (segments[0] === 'status' || segments[0] === 'finalize') {
    if (info.namespace !== '' && segments.length === 1) {
      info.name = info.namespace;
      info.namespace = '';
      info.resource = 'namespaces';
      info.subresource = segments[0]!;
      return finish(info, method, query, watchPath);
    }
  }
  info.resource = segments[0] ?? '';
  info.name = segments[1] ?? '';
  info.subresource = segments[2] ?? '';
  info.rest = segments.slice(3);
  if (info.resource === 'namespaces' && info.name !== '' && info.namespace === '') info.namespace = info.name;
  return finish(info, method, query, watchPath);
}

function finish(info: RequestInfo, method: string, query: URLSearchParams, watchPath: boolean): RequestInfo {
  if (info.name === '' && (method === 'GET' || method === 'HEAD')) {
    info.verb = watchPath || isTrue(query.get('watch')) ? 'watch' : 'list';
  } else if (info.name !== '' && (method === 'GET' || method === 'HEAD') && (watchPath || isTrue(query.get('watch')))) {
    info.verb = 'watch';
  } else if (info.name === '' && method === 'DELETE') {
    info.verb = 'deletecollection';
  }
  // A namespace's own requests are authorized as cluster-scoped, but keep its name as the namespace like Kubernetes.
  return info;
}

/** Kubernetes' boolean query parameters accept 1/t/T/TRUE/true/True (strconv.ParseBool). */
export function isTrue(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value);
}

export function isBool(value: string): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value);
}
