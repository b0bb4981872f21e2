/**
 * Serves /openapi/v3, /openapi/v3/<group-version> and /openapi/v2 from the resource table,
 * with kube-openapi's caching contract (handler3): the index lists each group-version's URL
 * with `?hash=<HASH>` (upper-case hex SHA-512); a request carrying the current hash gets
 * `Cache-Control: public, immutable`, an `Expires` a year ahead and `Vary: Accept`; a stale
 * hash is redirected (301) to the current URL; the ETag is the hash in quotes.
 *
 * Documents are built on first request, kept in a small LRU (api/v1 alone is megabytes) and
 * dropped when the table or the custom schemas change. Hashes derive from what the documents
 * are built from, not from their bytes, so the index costs no document builds and stays stable
 * across restarts of the same build with the same table.
 */
import { createHash } from 'node:crypto';
import type { ResourceDefinition } from '../types.ts';
import { FIELD_DOCS_FINGERPRINT } from './data/field-descriptions.ts';
import { BUILTIN_FINGERPRINT } from './data/structure.ts';
import { buildGroupVersionDocument, groupVersionPath, type GroupVersion } from './document.ts';
import { builtinDocs, type OpenApiSchemas } from './resolver.ts';
import { toSwagger2 } from './v2.ts';
import { encodeSwaggerProto } from './v2proto.ts';

/** Bump when the code that shapes documents changes, so clients' cached copies are not reused. */
const DOCUMENT_FORMAT = '1';
const V2_KEY = '\0v2';
const V2_PROTO_KEY = '\0v2proto';
/** kube-openapi's v2 protobuf media types: kubectl asks for the first, the second is current. */
const V2_PROTO_TYPES = ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'];

export interface OpenApiBody {
  body: Buffer;
  /** Quoted, as it goes in the ETag header. */
  etag: string;
  contentType: string;
}

export interface OpenApiRequest {
  accept?: string;
  ifNoneMatch?: string;
  /** The `hash` query parameter of a group-version request. */
  hash?: string;
  now?: Date;
}

/** What to answer: the HTTP layer writes status, headers and body as they are. */
export interface OpenApiReply {
  status: 200 | 301 | 304 | 404 | 406;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface OpenApiServiceOptions {
  resources: () => ResourceDefinition[];
  schemas: OpenApiSchemas;
  /** info.version of the documents, e.g. 'v1.33.0'. */
  serverVersion: string;
  /** How many built documents to keep (default 4). */
  cachedDocuments?: number;
}

interface GroupVersionEntry {
  gv: GroupVersion;
  resources: ResourceDefinition[];
  hash: string;
}

export class OpenApiService {
  private groupVersions: Map<string, GroupVersionEntry> | undefined;
  private indexBody: OpenApiBody | undefined;
  private readonly built = new Map<string, OpenApiBody>();
  private readonly capacity: number;

  constructor(private readonly options: OpenApiServiceOptions) {
    this.capacity = options.cachedDocuments ?? 4;
    options.schemas.onChange(() => this.invalidate());
  }

  /** Call when the resource table changes (a CRD was added, changed or removed). */
  invalidate(): void {
    this.groupVersions = undefined;
    this.indexBody = undefined;
    this.built.clear();
  }

  /** The /openapi/v3 index: `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=…"}}}`. */
  indexDocument(): OpenApiBody {
    if (!this.indexBody) {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      for (const [path, entry] of this.entries()) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${entry.hash}` };
      const body = Buffer.from(JSON.stringify({ paths }));
      this.indexBody = { body, etag: `"${sha512(body)}"`, contentType: 'application/json' };
    }
    return this.indexBody;
  }

  /** The v3 document of 'api/v1' or 'apis/<group>/<version>'; undefined when not served. */
  async groupVersionDocument(path: string): Promise<OpenApiBody | undefined> {
    const entry = this.entries().get(path);
    if (!entry) return undefined;
    return this.cached(path, async () => {
      const doc = buildGroupVersionDocument(entry.gv, entry.resources, this.options.schemas, await builtinDocs(), this.options.serverVersion);
      return { body: Buffer.from(JSON.stringify(doc)), etag: `"${entry.hash}"`, contentType: 'application/json' };
    });
  }

  /** Swagger 2.0 of everything served. */
  async swaggerDocument(): Promise<OpenApiBody> {
    return this.cached(V2_KEY, async () => {
      const builtin = await builtinDocs();
      const docs = [...this.entries().values()].map((e) =>
        buildGroupVersionDocument(e.gv, e.resources, this.options.schemas, builtin, this.options.serverVersion));
      const body = Buffer.from(JSON.stringify(toSwagger2(docs, this.options.serverVersion)));
      return { body, etag: `"${sha512(body)}"`, contentType: 'application/json' };
    });
  }

  index(request: OpenApiRequest = {}): OpenApiReply {
    return reply(this.indexDocument(), request, {});
  }

  async groupVersion(path: string, request: OpenApiRequest = {}): Promise<OpenApiReply> {
    const entry = this.entries().get(path);
    if (!entry) return { status: 404, headers: {} };
    if (!acceptsJson(request.accept)) return { status: 406, headers: { Vary: 'Accept' } };
    if (request.hash !== undefined && request.hash !== '' && request.hash !== entry.hash) {
      return { status: 301, headers: { Location: `/openapi/v3/${path}?hash=${entry.hash}`, Vary: 'Accept' } };
    }
    const extra: Record<string, string> = { Vary: 'Accept' };
    if (request.hash) {
      const expires = new Date((request.now ?? new Date()).getTime());
      expires.setUTCFullYear(expires.getUTCFullYear() + 1);
      extra['Cache-Control'] = 'public, immutable';
      extra.Expires = expires.toUTCString();
    }
    return reply((await this.groupVersionDocument(path))!, request, extra);
  }

  /** Swagger 2.0 as gnostic protobuf (definitions only; see v2proto.ts). */
  async swaggerProto(): Promise<OpenApiBody> {
    return this.cached(V2_PROTO_KEY, async () => {
      const json = JSON.parse((await this.swaggerDocument()).body.toString()) as Record<string, unknown>;
      const body = encodeSwaggerProto(json);
      return { body, etag: `"${sha512(body)}"`, contentType: V2_PROTO_TYPES[1]! };
    });
  }

  async v2(request: OpenApiRequest = {}): Promise<OpenApiReply> {
    const format = v2Format(request.accept);
    if (!format) return { status: 406, headers: { Vary: 'Accept' } };
    const doc = format === 'json' ? await this.swaggerDocument() : await this.swaggerProto();
    return reply(doc, request, { Vary: 'Accept' });
  }

  private entries(): Map<string, GroupVersionEntry> {
    if (this.groupVersions) return this.groupVersions;
    const byPath = new Map<string, { gv: GroupVersion; resources: ResourceDefinition[] }>();
    for (const def of this.options.resources()) {
      const path = groupVersionPath(def);
      const entry = byPath.get(path) ?? { gv: { group: def.group, version: def.version }, resources: [] };
      entry.resources.push(def);
      byPath.set(path, entry);
    }
    const entries = new Map<string, GroupVersionEntry>();
    for (const path of [...byPath.keys()].sort()) {
      const { gv, resources } = byPath.get(path)!;
      entries.set(path, { gv, resources, hash: this.hashOf(path, resources) });
    }
    this.groupVersions = entries;
    return entries;
  }

  private hashOf(path: string, resources: ResourceDefinition[]): string {
    const { schemas } = this.options;
    const shape = resources.map((r) => {
      const listSchema = `${r.schema.slice(0, r.schema.length - r.kind.length)}${r.listKind}`;
      const custom = schemas.isCustom(r.schema) ? [schemas.definition(r.schema), schemas.definition(listSchema)] : null;
      return [r.plural, r.kind, r.listKind, r.namespaced, r.verbs, r.subresources ?? [], r.schema,
        r.strategy.gracefulDeletion ?? false, custom];
    }).sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1));
    const input = JSON.stringify([DOCUMENT_FORMAT, BUILTIN_FINGERPRINT, FIELD_DOCS_FINGERPRINT, this.options.serverVersion, path, shape]);
    return sha512(Buffer.from(input));
  }

  private async cached(key: string, build: () => Promise<OpenApiBody>): Promise<OpenApiBody> {
    const hit = this.built.get(key);
    if (hit) {
      // Re-inserting marks it most recently used.
      this.built.delete(key);
      this.built.set(key, hit);
      return hit;
    }
    const value = await build();
    this.built.set(key, value);
    while (this.built.size > this.capacity) this.built.delete(this.built.keys().next().value!);
    return value;
  }
}

function sha512(data: Buffer): string {
  return createHash('sha512').update(data).digest('hex').toUpperCase();
}

/** Whether an Accept header admits JSON (kube-openapi negotiates with goautoneg the same way). */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((clause) => {
    const [type, ...params] = clause.split(';').map((s) => s.trim().toLowerCase());
    if (params.some((p) => /^q=0(\.0*)?$/.test(p))) return false;
    return type === 'application/json' || type === 'application/*' || type === '*/*';
  });
}

/** The first format the Accept header admits, in its order: JSON or gnostic protobuf. */
function v2Format(accept: string | undefined): 'json' | 'protobuf' | undefined {
  if (accept === undefined || accept.trim() === '') return 'json';
  for (const clause of accept.split(',')) {
    const type = clause.split(';')[0]!.trim().toLowerCase();
    if (V2_PROTO_TYPES.includes(type)) return 'protobuf';
    if (acceptsJson(clause)) return 'json';
  }
  return undefined;
}

function reply(doc: OpenApiBody, request: OpenApiRequest, extra: Record<string, string>): OpenApiReply {
  const headers = { ...extra, ETag: doc.etag, 'Content-Type': doc.contentType };
  const tags = request.ifNoneMatch?.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (tags && (tags.includes(doc.etag) || tags.includes('*'))) return { status: 304, headers };
  return { status: 200, headers, body: doc.body };
}
