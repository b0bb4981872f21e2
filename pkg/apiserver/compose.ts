/**
 * Puts the API server together from its parts: the table, the watch cache and store over a
 * datastore, codecs, authentication and authorization, and the HTTPS listener. `tsk server`
 * and the tests call this; neither knows how the parts connect.
 */
import type { ResourceTable } from '../api/registry.ts';
import type { SchemaResolver } from '../api/schema.ts';
import type { FieldError, KObject, ResourceDefinition, StrategyContext, TablePrinter, UserInfo } from '../api/types.ts';
import type { Request } from './http/body.ts';
import { nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain, nameIsPathSegment, validateObjectMeta, validateObjectMetaUpdate, type NameCheck } from '../api/validation/index.ts';
import type { Backend } from '../kv/types.ts';
import { Discovery } from './discovery.ts';
import { apiErrors } from './errors.ts';
import type { ApiContext, Patcher, VirtualHandler } from './handlers/context.ts';
import { startApiServer, type ApiServer, type Authenticator, type Authorizer, type PathHandler } from './server.ts';
import { storageKey } from './storage/codec.ts';
import { Store, type WriteHooks } from './storage/store.ts';
import { WatchCache } from './storage/watchcache.ts';

export interface ComposeOptions {
  backend: Backend;
  table: ResourceTable;
  host: string;
  port: number;
  tls: { certPem: string; keyPem: string; clientCaPem: string };
  authenticator: Authenticator;
  /** Builds the authorizer once the cache is up (RBAC reads roles from it). */
  authorizer: (ctx: ApiContext) => Authorizer;
  printerFor: (def: ResourceDefinition) => TablePrinter;
  decodeProtobuf: ApiContext['decodeProtobuf'];
  schemas?: SchemaResolver;
  patcher?: Patcher;
  fieldProblems?: ApiContext['fieldProblems'];
  typeProblem?: ApiContext['typeProblem'];
  trackFields?: WriteHooks['trackFields'];
  /** Built once the cache exists, like the authorizer (admission reads roles from it). */
  admit?: (ctx: ApiContext) => WriteHooks['admit'];
  virtual?: Map<string, VirtualHandler>;
  paths?: Map<string, PathHandler>;
  unauthenticatedPaths?: Map<string, PathHandler>;
  impersonate?: (user: UserInfo, req: Request) => UserInfo;
  version: Record<string, string>;
  /** Address clients are told to use in /api's serverAddressByClientCIDRs. */
  advertise: () => string;
}

export interface ComposedApiServer {
  server: ApiServer;
  ctx: ApiContext;
  close(): Promise<void>;
}

const NAME_RULES: Record<NonNullable<ResourceDefinition['strategy']['nameRule']>, NameCheck> = {
  'dns1123-subdomain': nameIsDNSSubdomain,
  'dns1123-label': nameIsDNSLabel,
  'dns1035-label': nameIsDNS1035Label,
  'path-segment': nameIsPathSegment,
  rbac: nameIsPathSegment,
};

function validateMeta(def: ResourceDefinition, obj: KObject, old: KObject | undefined): FieldError[] {
  if (old) return validateObjectMetaUpdate(obj.metadata, old.metadata);
  return validateObjectMeta(obj.metadata, { name: NAME_RULES[def.strategy.nameRule ?? 'dns1123-subdomain'], namespaced: def.namespaced });
}

/** NamespaceLifecycle admission: content only in namespaces that exist and are not going away. */
function admitCreate(cache: WatchCache, table: ResourceTable) {
  return (def: ResourceDefinition, obj: KObject, _ctx: StrategyContext): void => {
    if (!def.namespaced) return;
    const nsDef = table.get('', 'v1', 'namespaces');
    if (!nsDef) return;
    const ns = obj.metadata.namespace!;
    const found = cache.get(nsDef.storagePath, storageKey(nsDef, '', ns));
    if (!found) throw apiErrors.notFound({ group: '', resource: 'namespaces' }, ns);
    if (found.obj.metadata.deletionTimestamp || found.obj.status?.phase === 'Terminating') {
      throw apiErrors.forbidden(`${def.plural}${def.group ? `.${def.group}` : ''} "${obj.metadata.name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, { group: def.group, resource: def.plural }, obj.metadata.name);
    }
  };
}

/** NamespaceLifecycle: the namespaces Kubernetes itself lives in cannot be deleted. */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function admitDelete(def: ResourceDefinition, obj: KObject): void {
  if (def.group === '' && def.kind === 'Namespace' && IMMORTAL_NAMESPACES.has(obj.metadata.name!)) {
    throw apiErrors.forbidden(`namespaces "${obj.metadata.name}" is forbidden: this namespace may not be deleted`, { group: '', resource: 'namespaces' }, obj.metadata.name);
  }
}

export async function composeApiServer(opts: ComposeOptions): Promise<ComposedApiServer> {
  const cache = new WatchCache(opts.backend);
  await cache.start([...new Set(opts.table.all().filter((d) => !d.virtual).map((d) => d.storagePath))]);
  const unregister = opts.table.onChange(() => {
    for (const d of opts.table.all()) if (!d.virtual) cache.register(d.storagePath);
  });
  const hooks: WriteHooks = { validateMeta, admitCreate: admitCreate(cache, opts.table), admitDelete, trackFields: opts.trackFields };
  const store = new Store(opts.backend, cache, hooks);
  const ctx: ApiContext = {
    table: opts.table,
    store,
    cache,
    schemas: opts.schemas,
    printerFor: opts.printerFor,
    decodeProtobuf: opts.decodeProtobuf,
    patcher: opts.patcher,
    fieldProblems: opts.fieldProblems,
    typeProblem: opts.typeProblem,
    virtual: opts.virtual ?? new Map(),
    now: () => new Date(),
  };
  hooks.admit = opts.admit?.(ctx);
  const discovery = new Discovery(opts.table, opts.advertise);
  let ready = false;
  const server = await startApiServer({
    host: opts.host,
    port: opts.port,
    tls: opts.tls,
    ctx,
    discovery,
    authenticator: opts.authenticator,
    authorizer: opts.authorizer(ctx),
    version: opts.version,
    paths: opts.paths,
    unauthenticatedPaths: opts.unauthenticatedPaths,
    impersonate: opts.impersonate,
    ready: () => ready,
  });
  ready = true;
  return {
    server,
    ctx,
    close: async () => {
      ready = false;
      unregister();
      await server.close();
      cache.stop();
    },
  };
}
