/**
 * What a request is about, read from its method and path as Kubernetes' RequestInfoFactory
 * does: /api/v1/namespaces/default/pods/web/status → verb, group '', version v1, namespace,
 * resource pods, name web, subresource status. Authorization and routing both use it.
 */
import { parseFieldSelector, parseLabelSelector, requiredFieldValue } from './selectors.ts';

export interface RequestInfo {
  /** false for /healthz, /version, /openapi/…, discovery roots (/api, /api/v1, /apis/g/v). */
  isResourceRequest: boolean;
  path: string;
  /**
   * Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection, proxy
   * ('' for other methods), or the lowercased method for non-resource paths.
   */
  verb: string;
  apiPrefix: 'api' | 'apis' | '';
  group: string;
  version: string;
  /** For /namespaces/<name>[/status|/finalize], the namespace's own name, as Kubernetes sets it. */
  namespace: string;
  resource: string;
  subresource: string;
  /** For list and watch with fieldSelector=metadata.name=<n>, that name (RBAC resourceNames). */
  name: string;
  /** Path segments after the subresource (after the name for proxy). */
  rest: string[];
}

const METHOD_VERB: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', GET: 'get', HEAD: 'get', DELETE: 'delete' };

/** Verbs written into the path (/api/v1/watch/pods); proxy paths have no subresource. */
const PATH_VERBS = new Set(['watch', 'proxy']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export class BadPathError extends Error {}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadPathError(`invalid path segment ${segment}`);
  }
}

/**
 * Segments as Kubernetes' splitPath finds them. Dot segments stay what they are (a name of
 * ".." is refused later by the store, with its own 400), as nothing cleans the path there.
 */
function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  return trimmed.split('/').map(decode);
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
  let parts = splitPath(path);
  // /api/v1 and /apis/<g>/<v> are discovery documents, not resources.
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return info;
  if (parts[0] === 'apis' && parts.length < 4) return info;
  info.apiPrefix = parts[0];
  parts = parts.slice(1);
  if (info.apiPrefix === 'apis') {
    info.group = parts[0]!;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.version = parts[0]!;
  parts = parts.slice(1);

  if (PATH_VERBS.has(parts[0]!)) {
    if (parts.length < 2) throw new BadPathError(`unable to determine kind and namespace from url ${path}`);
    info.verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERB[method] ?? '';
  }

  if (parts[0] === 'namespaces' && parts.length > 1) {
    info.namespace = parts[1]!;
    // /namespaces/<ns>/<resource>/…, but /namespaces/<ns>, …/status and …/finalize are the namespace itself.
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
  }

  info.resource = parts[0] ?? '';
  info.name = parts[1] ?? '';
  if (info.verb === 'proxy') {
    info.rest = parts.slice(2);
  } else {
    info.subresource = parts[2] ?? '';
    info.rest = parts.slice(3);
  }

  if (info.name === '' && info.verb === 'get') {
    info.verb = isTrue(query.get('watch')) ? 'watch' : 'list';
    const name = nameFromFieldSelector(query);
    if (name !== undefined) info.name = name;
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

/**
 * A list or watch pinned to one object by fieldSelector=metadata.name=<n> names it, so RBAC
 * resourceNames apply (kubectl get pod x -w). Like Kubernetes, only when the list options parse.
 */
function nameFromFieldSelector(query: URLSearchParams): string | undefined {
  const selector = query.get('fieldSelector');
  if (!selector) return undefined;
  let name: string | undefined;
  try {
    parseLabelSelector(query.get('labelSelector') ?? '');
    name = requiredFieldValue(parseFieldSelector(selector), 'metadata.name');
  } catch {
    return undefined;
  }
  if (name === undefined || name === '' || name === '.' || name === '..' || /[/%]/.test(name)) return undefined;
  return name;
}

/**
 * A boolean query parameter as Kubernetes reads one (runtime.Convert_Slice_string_To_bool):
 * absent, "0" and "false" (any case) are false; anything else, the empty string included, is true.
 */
export function isTrue(value: string | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  return value !== '0' && value.toLowerCase() !== 'false';
}

/** strconv.ParseBool's spellings, for the few parameters validated strictly. */
export function isBool(value: string): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value);
}

const STREAMING_POD_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

/**
 * The attributes authorization sees. A pod's exec, attach and portforward open a stream that
 * writes into the pod whatever the method: WebSocket clients (kubectl 1.30+) send GET, so
 * Kubernetes authorizes these as `create` (AuthorizePodWebsocketUpgradeCreatePermission, on
 * since 1.30), and a role with only `get pods/exec` no longer lets anyone in.
 */
export function authorizationInfo(info: RequestInfo): RequestInfo {
  if (info.resource === 'pods' && info.verb === 'get' && STREAMING_POD_SUBRESOURCES.has(info.subresource)) return { ...info, verb: 'create' };
  return info;
}
