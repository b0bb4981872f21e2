/**
 * The `paths` of a group-version's OpenAPI v3 document, derived from the resource table the
 * way kube-apiserver's endpoint installer names and shapes them: operationIds such as
 * `patchAppsV1NamespacedDeploymentStatus`, tags `apps_v1`, `x-kubernetes-action` and an
 * `x-kubernetes-group-version-kind` object on every operation (kubectl's field-validation
 * check looks for the PATCH operation of a kind by that extension, then for `fieldValidation`
 * among the operation's own parameters).
 */
import { SCHEMA_REF_PREFIX } from '../schema.ts';
import type { GroupVersionKind, ResourceDefinition } from '../types.ts';
import {
  ATTACH_PARAMETERS, DELETE_COLLECTION_PARAMETERS, DELETE_PARAMETERS, EXEC_PARAMETERS, LIST_PARAMETERS, LOG_PARAMETERS,
  PATCH_PARAMETERS, WRITE_PARAMETERS, pathParameter, query, type Parameter,
} from './parameters.ts';

export type Operation = Record<string, unknown>;
export type PathItem = Record<string, unknown> & { parameters?: Parameter[] };

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const OBJECT_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const CUSTOM_OBJECT_TYPES = ['application/json', 'application/yaml'];
const STREAM_TYPES = ['application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json',
  'application/strategic-merge-patch+json'];

/** 'rbac.authorization.k8s.io' → 'RbacAuthorization'; '' → 'Core'; 'stable.example.com' → 'StableExampleCom'. */
export function groupCamel(group: string): string {
  if (group === '') return 'Core';
  return group.replace(/\.k8s\.io$/, '').split(/[.-]/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}

export function tag(group: string, version: string): string {
  const camel = groupCamel(group);
  return `${camel.charAt(0).toLowerCase()}${camel.slice(1)}_${version}`;
}

export function groupVersionPrefix(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

interface Context {
  def: ResourceDefinition;
  custom: boolean;
  gvk: GroupVersionKind;
  idInfix: string;
  tags: string[];
}

function ref(name: string): { $ref: string } {
  return { $ref: `${SCHEMA_REF_PREFIX}${name}` };
}

function content(types: string[], schema: object): Record<string, { schema: object }> {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function responses(codes: Record<string, string>, body: Record<string, { schema: object }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted' };
  for (const code of Object.keys(codes)) out[code] = { content: body, description: names[code] ?? codes[code] };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

function operation(ctx: Context, action: string, id: string, description: string, extra: Operation, gvk = ctx.gvk): Operation {
  return {
    description,
    operationId: id,
    ...extra,
    tags: ctx.tags,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: gvk.group, kind: gvk.kind, version: gvk.version },
  };
}

function params(names: string[]): Parameter[] {
  return names.map((n) => query(n));
}

function body(schema: object): Record<string, unknown> {
  return { content: { '*/*': { schema } }, required: true };
}

/** Adds every path of one resource (collection, item, watch, subresources) to `paths`. */
export function addResourcePaths(paths: Record<string, PathItem>, def: ResourceDefinition, custom: boolean): void {
  const ctx: Context = {
    def,
    custom,
    gvk: { group: def.group, version: def.version, kind: def.kind },
    idInfix: `${groupCamel(def.group)}${def.version.charAt(0).toUpperCase()}${def.version.slice(1)}`,
    tags: [tag(def.group, def.version)],
  };
  const prefix = groupVersionPrefix(def.group, def.version);
  const scope = def.namespaced ? `/namespaces/{namespace}` : '';
  const ns = def.namespaced ? 'Namespaced' : '';
  const kindSchema = ref(def.schema);
  const listSchema = ref(`${def.schema.slice(0, def.schema.length - def.kind.length)}${def.listKind}`);
  const types = custom ? CUSTOM_OBJECT_TYPES : OBJECT_TYPES;
  const objectBody = content(types, kindSchema);
  const scopeParams = (item: boolean): Parameter[] => [
    ...(item ? [pathParameter('name', def.kind)] : []),
    ...(def.namespaced ? [pathParameter('namespace', def.kind)] : []),
    query('pretty'),
  ];
  const verbs = new Set(def.verbs);
  const id = (verb: string, suffix = '') => `${verb}${ctx.idInfix}${ns}${def.kind}${suffix}`;

  const collection: PathItem = {};
  if (verbs.has('list')) {
    collection.get = operation(ctx, 'list', id('list'), `list or watch objects of kind ${def.kind}`, {
      parameters: params(LIST_PARAMETERS),
      responses: responses({ 200: '' }, content([...types, ...STREAM_TYPES], listSchema)),
    });
  }
  if (verbs.has('create')) {
    collection.post = operation(ctx, 'post', id('create'), `create ${article(def.kind)} ${def.kind}`, {
      parameters: params(WRITE_PARAMETERS),
      requestBody: body(kindSchema),
      responses: responses({ 200: '', 201: '', 202: '' }, objectBody),
    });
  }
  if (verbs.has('deletecollection')) {
    collection.delete = operation(ctx, 'deletecollection', `delete${ctx.idInfix}Collection${ns}${def.kind}`,
      `delete collection of ${def.kind}`, {
        parameters: params(DELETE_COLLECTION_PARAMETERS),
        requestBody: { content: { '*/*': { schema: ref(`${META}DeleteOptions`) } } },
        responses: responses({ 200: '' }, content(OBJECT_TYPES, ref(`${META}Status`))),
      });
  }
  addPath(paths, `${prefix}${scope}/${def.plural}`, collection, scopeParams(false));

  const item: PathItem = {};
  if (verbs.has('get')) {
    item.get = operation(ctx, 'get', id('read'), `read the specified ${def.kind}`, { responses: responses({ 200: '' }, objectBody) });
  }
  if (verbs.has('update')) {
    item.put = operation(ctx, 'put', id('replace'), `replace the specified ${def.kind}`, {
      parameters: params(WRITE_PARAMETERS),
      requestBody: body(kindSchema),
      responses: responses({ 200: '', 201: '' }, objectBody),
    });
  }
  if (verbs.has('patch')) item.patch = patchOperation(ctx, id('patch'), `partially update the specified ${def.kind}`, kindSchema);
  if (verbs.has('delete')) {
    const deleted = def.strategy.gracefulDeletion ? kindSchema : ref(`${META}Status`);
    item.delete = operation(ctx, 'delete', id('delete'), `delete ${article(def.kind)} ${def.kind}`, {
      parameters: params(DELETE_PARAMETERS),
      requestBody: { content: { '*/*': { schema: ref(`${META}DeleteOptions`) } } },
      responses: responses({ 200: '', 202: '' }, content(types, deleted)),
    });
  }
  addPath(paths, `${prefix}${scope}/${def.plural}/{name}`, item, scopeParams(true));

  if (verbs.has('watch')) addWatchPaths(paths, ctx, prefix, scope, scopeParams);
  if (def.namespaced && verbs.has('list')) {
    const all: PathItem = {
      get: operation(ctx, 'list', `list${ctx.idInfix}${def.kind}ForAllNamespaces`, `list or watch objects of kind ${def.kind}`, {
        responses: responses({ 200: '' }, content([...types, ...STREAM_TYPES], listSchema)),
      }),
    };
    addPath(paths, `${prefix}/${def.plural}`, all, [...params(LIST_PARAMETERS), query('pretty')].sort(byName));
  }
  for (const sub of def.subresources ?? []) addSubresourcePaths(paths, ctx, `${prefix}${scope}/${def.plural}/{name}/${sub}`, sub, scopeParams(true));
}

function patchOperation(ctx: Context, id: string, description: string, schema: object, gvk?: GroupVersionKind): Operation {
  const patchTypes = ctx.custom ? PATCH_TYPES.filter((t) => !t.includes('strategic')) : PATCH_TYPES;
  return operation(ctx, 'patch', id, description, {
    parameters: params(PATCH_PARAMETERS),
    requestBody: { content: content(patchTypes, ref(`${META}Patch`)), required: true },
    responses: responses({ 200: '', 201: '' }, content(ctx.custom ? CUSTOM_OBJECT_TYPES : OBJECT_TYPES, schema)),
  }, gvk);
}

function addWatchPaths(paths: Record<string, PathItem>, ctx: Context, prefix: string, scope: string,
  scopeParams: (item: boolean) => Parameter[]): void {
  const { def } = ctx;
  const ns = def.namespaced ? 'Namespaced' : '';
  const event = content([...OBJECT_TYPES, ...STREAM_TYPES], ref(`${META}WatchEvent`));
  const watchParams = (item: boolean) => [...scopeParams(item), ...params(LIST_PARAMETERS)].sort(byName);
  const deprecated = "deprecated: use the 'watch' parameter with a list operation instead";
  addPath(paths, `${prefix}/watch${scope}/${def.plural}`, {
    get: operation(ctx, 'watchlist', `watch${ctx.idInfix}${ns}${def.kind}List`,
      `watch individual changes to a list of ${def.kind}. ${deprecated}.`, { responses: responses({ 200: '' }, event) }),
  }, watchParams(false));
  addPath(paths, `${prefix}/watch${scope}/${def.plural}/{name}`, {
    get: operation(ctx, 'watch', `watch${ctx.idInfix}${ns}${def.kind}`,
      `watch changes to an object of kind ${def.kind}. ${deprecated}, filtered to a single item with the 'fieldSelector' parameter.`,
      { responses: responses({ 200: '' }, event) }),
  }, watchParams(true));
  if (def.namespaced) {
    addPath(paths, `${prefix}/watch/${def.plural}`, {
      get: operation(ctx, 'watchlist', `watch${ctx.idInfix}${def.kind}ListForAllNamespaces`,
        `watch individual changes to a list of ${def.kind}. ${deprecated}.`, { responses: responses({ 200: '' }, event) }),
    }, [...params(LIST_PARAMETERS), query('pretty')].sort(byName));
  }
}

/** Subresources that read and write (a form of) the object itself. */
const OBJECT_SUBRESOURCES: Record<string, { schema?: string; gvk?: GroupVersionKind }> = {
  status: {},
  ephemeralcontainers: {},
  resize: {},
  scale: { schema: 'io.k8s.api.autoscaling.v1.Scale', gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
};
/** Subresources that only accept a POST of another kind. */
const CREATE_SUBRESOURCES: Record<string, { schema: string; gvk: GroupVersionKind }> = {
  binding: { schema: 'io.k8s.api.core.v1.Binding', gvk: { group: '', version: 'v1', kind: 'Binding' } },
  eviction: { schema: 'io.k8s.api.policy.v1.Eviction', gvk: { group: 'policy', version: 'v1', kind: 'Eviction' } },
  token: { schema: 'io.k8s.api.authentication.v1.TokenRequest', gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } },
};
const CONNECT_SUBRESOURCES: Record<string, { methods: string[]; parameters: string[] }> = {
  exec: { methods: ['get', 'post'], parameters: EXEC_PARAMETERS },
  attach: { methods: ['get', 'post'], parameters: ATTACH_PARAMETERS },
  portforward: { methods: ['get', 'post'], parameters: ['ports'] },
  proxy: { methods: ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'], parameters: ['path'] },
};

function addSubresourcePaths(paths: Record<string, PathItem>, ctx: Context, path: string, sub: string, scope: Parameter[]): void {
  const { def } = ctx;
  const ns = def.namespaced ? 'Namespaced' : '';
  const title = sub.charAt(0).toUpperCase() + sub.slice(1);
  const id = (verb: string) => `${verb}${ctx.idInfix}${ns}${def.kind}${title}`;
  const item: PathItem = {};
  const objectSub = OBJECT_SUBRESOURCES[sub];
  const createSub = CREATE_SUBRESOURCES[sub];
  const connect = CONNECT_SUBRESOURCES[sub];
  if (objectSub) {
    const schema = ref(objectSub.schema ?? def.schema);
    const body = content(ctx.custom ? CUSTOM_OBJECT_TYPES : OBJECT_TYPES, schema);
    item.get = operation(ctx, 'get', id('read'), `read ${sub} of the specified ${def.kind}`, { responses: responses({ 200: '' }, body) }, objectSub.gvk);
    item.put = operation(ctx, 'put', id('replace'), `replace ${sub} of the specified ${def.kind}`, {
      parameters: params(WRITE_PARAMETERS),
      requestBody: { content: { '*/*': { schema } }, required: true },
      responses: responses({ 200: '', 201: '' }, body),
    }, objectSub.gvk);
    item.patch = patchOperation(ctx, id('patch'), `partially update ${sub} of the specified ${def.kind}`, schema, objectSub.gvk);
  } else if (createSub) {
    item.post = operation(ctx, 'post', id('create'), `create ${sub} of ${article(def.kind)} ${def.kind}`, {
      parameters: params(WRITE_PARAMETERS),
      requestBody: body(ref(createSub.schema)),
      responses: responses({ 200: '', 201: '', 202: '' }, content(OBJECT_TYPES, ref(createSub.schema))),
    }, createSub.gvk);
  } else if (sub === 'log') {
    item.get = operation(ctx, 'get', id('read'), `read log of the specified ${def.kind}`, {
      parameters: params(LOG_PARAMETERS),
      responses: responses({ 200: '' }, content(['text/plain', ...OBJECT_TYPES], { type: 'string' })),
    });
  } else if (connect) {
    const options = { group: '', version: def.version, kind: `${def.kind}${sub === 'portforward' ? 'PortForward' : title}Options` };
    for (const method of connect.methods) {
      const verb = method.charAt(0).toUpperCase() + method.slice(1);
      item[method] = operation(ctx, 'connect', `connect${ctx.idInfix}${verb}${ns}${def.kind}${title}`,
        `connect ${method.toUpperCase()} requests to ${sub} of ${def.kind}`, {
          parameters: params(connect.parameters.filter((p) => p !== 'path')),
          responses: responses({ 200: '' }, content(['*/*'], { type: 'string' })),
        }, options);
    }
  } else {
    return;
  }
  addPath(paths, path, item, scope);
}

function addPath(paths: Record<string, PathItem>, path: string, item: PathItem, parameters: Parameter[]): void {
  if (Object.keys(item).length === 0) return;
  paths[path] = { ...paths[path], ...item, parameters };
}

function byName(a: Parameter, b: Parameter): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}
