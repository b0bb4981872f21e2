/**
 * What every resource handler gets: the server's shared parts (table, store, cache, codecs)
 * and the request it serves, already authenticated, authorized and resolved to a definition.
 */
import type { ResourceTable } from '../../api/registry.ts';
import type { KObject, ResourceDefinition, StrategyContext, TablePrinter, UserInfo } from '../../api/types.ts';
import type { SchemaResolver } from '../../api/schema.ts';
import type { Request } from '../http/body.ts';
import type { KubeletClientTls } from './kubeletproxy.ts';
import type { Output, Response } from '../http/respond.ts';
import type { RequestInfo } from '../requestinfo.ts';
import type { Store } from '../storage/store.ts';
import type { WatchCache } from '../storage/watchcache.ts';

/** Patch application, filled in by pkg/apiserver/patch. */
export interface Patcher {
  /** Returns the patched object; `patchType` is the request's media type. */
  apply(patchType: string, current: KObject | undefined, body: Buffer, scope: Scope): KObject | Promise<KObject>;
}

/** Handlers for kinds that are only created (reviews, TokenRequest, Binding, Eviction). */
export interface VirtualHandler {
  /** The body's kind when it is not the resource's own (serviceaccounts/token takes a TokenRequest). */
  bodyKind?: { group: string; version: string; kind: string };
  handle(scope: Scope, body: KObject): Promise<{ code: number; body: unknown }>;
}

/**
 * Kinds computed on request and never stored (metrics.k8s.io's NodeMetrics and PodMetrics):
 * get and list only, answered in every output form the stored kinds have (object, Table,
 * PartialObjectMetadata). Filtering by the request's selectors is the handler's.
 */
export interface ReadOnlyHandler {
  get(scope: Scope): Promise<KObject>;
  list(scope: Scope): Promise<KObject[]>;
}

export interface ApiContext {
  table: ResourceTable;
  store: Store;
  cache: WatchCache;
  schemas?: SchemaResolver;
  printerFor(def: ResourceDefinition): TablePrinter;
  /** `expected` is the URL's kind: it fills a missing typeMeta and names the type in errors. */
  decodeProtobuf(body: Buffer, expected?: { apiVersion: string; kind: string }): Promise<KObject>;
  patcher?: Patcher;
  /**
   * Strict-decoding problems of a body (`unknown field "spec.foo"`, `duplicate field "x"`);
   * `rawJson` is the body's text when it was JSON (duplicates are only visible there).
   */
  fieldProblems?: (def: ResourceDefinition, obj: KObject, rawJson?: string) => string[];
  /** encoding/json's complaint about the first value whose type its schema cannot take, if any. */
  typeProblem?: (def: ResourceDefinition, obj: KObject) => string | undefined;
  /** group/version/resource/subresource → handler for virtual kinds and special subresources. */
  virtual: Map<string, VirtualHandler>;
  now(): Date;
  /** How to reach kubelets (logs, exec, port-forward); unset, those answer 503. */
  kubelet?: KubeletClientTls;
  /** group/version/resource/subresource → handler for read-only computed kinds (virtual in the table). */
  readOnly?: Map<string, ReadOnlyHandler>;
}

export interface Scope {
  ctx: ApiContext;
  req: Request;
  res: Response;
  info: RequestInfo;
  def: ResourceDefinition;
  user: UserInfo;
  query: URLSearchParams;
  output: Output;
}

/**
 * The manager a non-apply write is recorded under: ?fieldManager=, else the client program's
 * name from its User-Agent ("kubectl/v1.33.0 (linux/amd64) …" → "kubectl"), as Kubernetes does.
 */
export function fieldManagerFor(scope: Scope): string {
  const explicit = scope.query.get('fieldManager');
  if (explicit) return explicit;
  const agent = String(scope.req.headers['user-agent'] ?? '');
  const program = agent.split('/')[0]!.trim();
  return program === '' ? 'unknown' : program.slice(0, 128);
}

export function strategyContext(scope: Scope, dryRun: boolean, apply = false): StrategyContext {
  const ctx: StrategyContext = { user: scope.user, now: scope.ctx.now(), dryRun, subresource: scope.info.subresource };
  if (!apply) ctx.fieldManager = fieldManagerFor(scope);
  return ctx;
}

export function virtualKey(group: string, version: string, resource: string, subresource: string): string {
  return `${group}/${version}/${resource}/${subresource}`;
}
