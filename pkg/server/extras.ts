/**
 * The API server's parts beyond CRUD, bound together for `tsk server`: schemas and OpenAPI,
 * patches, strict field validation, the kinds that are only created (reviews, TokenRequest),
 * and impersonation.
 */
import type { ServerResponse } from 'node:http';
import type { ResourceTable } from '../api/registry.ts';
import { OpenApiSchemas } from '../api/openapi/resolver.ts';
import { OpenApiService, type OpenApiReply } from '../api/openapi/service.ts';
import { strictDecodingProblems } from '../api/openapi/fieldvalidation.ts';
import { typeMismatch } from '../api/openapi/typecheck.ts';
import type { KObject, ResourceDefinition, StrategyContext, UserInfo } from '../api/types.ts';
import { serverSideApply, updateManagedFields } from '../apiserver/patch/apply/field-manager.ts';
import { isTrue } from '../apiserver/requestinfo.ts';
import type { Authenticator as TokenAuthenticator } from '../auth/authn/authenticator.ts';
import { reviewToken, selfSubjectReview } from '../auth/authn/reviews.ts';
import { impersonate } from '../auth/impersonate/impersonate.ts';
import type { ClusterAuthorizer } from '../auth/rbac/chain.ts';
import { localSubjectAccessReview, selfSubjectAccessReview, selfSubjectRulesReview, subjectAccessReview } from '../auth/rbac/reviews.ts';
import { jwks, openidConfiguration } from '../auth/serviceaccount/discovery.ts';
import { DEFAULT_ISSUER } from '../auth/serviceaccount/token.ts';
import type { ServiceAccountKey } from '../auth/serviceaccount/key.ts';
import type { TokenObjectGetter } from '../auth/serviceaccount/token.ts';
import { createTokenRequest } from '../auth/serviceaccount/tokenrequest.ts';
import { ApiError } from '../apiserver/errors.ts';
import { virtualKey, type ApiContext, type Patcher, type VirtualHandler } from '../apiserver/handlers/context.ts';
import { applyPatchBody, decodeApplyBody } from '../apiserver/patch/body.ts';
import { patchKindFor } from '../apiserver/patch/content-type.ts';
import { isStrategicMergePatchSupported } from '../apiserver/patch/strategic/merge.ts';
import type { Request } from '../apiserver/http/body.ts';
import type { PathHandler } from '../apiserver/server.ts';
import { evictionHandler } from './eviction.ts';

export interface ExtrasOptions {
  table: ResourceTable;
  saKey: ServiceAccountKey;
  apiAudiences: string[];
  tokens: TokenAuthenticator;
  objects: TokenObjectGetter;
  serverVersion: string;
}

export interface ApiExtras {
  schemas: OpenApiSchemas;
  patcher: Patcher;
  fieldProblems?: ApiContext['fieldProblems'];
  typeProblem: NonNullable<ApiContext['typeProblem']>;
  trackFields: (def: ResourceDefinition, obj: KObject, old: KObject | undefined, ctx: StrategyContext) => KObject;
  virtual: Map<string, VirtualHandler>;
  paths: Map<string, PathHandler>;
  /** Called once the cache and authorizer exist. */
  bind(ctx: ApiContext, authorizer: { cluster: ClusterAuthorizer }): void;
  impersonate(user: UserInfo, req: Request): UserInfo;
}

export function apiExtras(opts: ExtrasOptions): ApiExtras {
  const schemas = new OpenApiSchemas();
  let authz: ClusterAuthorizer | undefined;
  const authorizer = (): ClusterAuthorizer => {
    if (!authz) throw new ApiError(503, 'ServiceUnavailable', 'the authorizer is not ready yet');
    return authz;
  };
  const openapi = new OpenApiService({ resources: () => opts.table.all(), schemas, serverVersion: opts.serverVersion });
  opts.table.onChange(() => openapi.invalidate());
  const sendReply = (res: Parameters<PathHandler>[1], reply: OpenApiReply): void => {
    const headers: Record<string, string> = { ...reply.headers };
    if (reply.body) {
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      headers['content-length'] = String(reply.body.length);
    }
    (res as ServerResponse).writeHead(reply.status, headers);
    if (reply.body) res.end(reply.body);
    else res.end();
  };
  const paths = new Map<string, PathHandler>();
  paths.set('/openapi/v3', async (req, res, path, query) => {
    const request = { accept: req.headers.accept, ifNoneMatch: req.headers['if-none-match'] as string | undefined, hash: query.get('hash') ?? undefined };
    if (path === '/openapi/v3' || path === '/openapi/v3/') return sendReply(res, openapi.index(request));
    return sendReply(res, await openapi.groupVersion(path.slice('/openapi/v3/'.length), request));
  });
  // Service-account issuer discovery, so workloads and external systems can verify our tokens.
  const key = [{ publicKey: opts.saKey.publicKey, algorithm: opts.saKey.algorithm, keyId: opts.saKey.keyId }];
  paths.set('/.well-known/openid-configuration', (_req, res) => {
    const body = Buffer.from(JSON.stringify(openidConfiguration(DEFAULT_ISSUER, `${DEFAULT_ISSUER}/openid/v1/jwks`, key)));
    sendReply(res, { status: 200, headers: {}, body });
  });
  paths.set('/openid/v1/jwks', (_req, res) => {
    sendReply(res, { status: 200, headers: { 'content-type': 'application/jwk-set+json' }, body: Buffer.from(JSON.stringify(jwks(key))) });
  });
  paths.set('/openapi/v2', async (req, res) => {
    sendReply(res, await openapi.v2({ accept: req.headers.accept, ifNoneMatch: req.headers['if-none-match'] as string | undefined }));
  });

  /** What a write through this endpoint resets, so nobody owns it through here (status vs the rest). */
  const ignoredFields = (def: ResourceDefinition, subresource: string): string[][] | undefined => {
    if (!def.subresources?.includes('status')) return undefined;
    if (subresource === '') return [['status']];
    if (subresource === 'status') return [['spec']];
    return undefined;
  };

  const patcher: Patcher = {
    apply(patchType, current, body, scope) {
      const { def, info, query } = scope;
      const kind = patchKindFor(patchType, isStrategicMergePatchSupported(def.schema, schemas, !!def.custom));
      if (kind === 'apply') {
        const result = serverSideApply({
          live: current,
          applied: decodeApplyBody(body),
          manager: query.get('fieldManager') ?? '',
          force: isTrue(query.get('force')),
          kind: def.kind,
          schemaName: def.schema,
          resolver: schemas,
          now: scope.ctx.now(),
          apiVersion: def.group === '' ? def.version : `${def.group}/${def.version}`,
          subresource: info.subresource,
          ignoredFields: ignoredFields(def, info.subresource),
        });
        if ('error' in result) throw result.error;
        return result.object;
      }
      if (!current) throw new ApiError(404, 'NotFound', `${def.group ? `${def.plural}.${def.group}` : def.plural} "${info.name}" not found`, { name: info.name, group: def.group, kind: def.plural });
      return applyPatchBody(kind, current, body, def.schema, schemas);
    },
  };

  const trackFields = (def: ResourceDefinition, obj: KObject, old: KObject | undefined, ctx: StrategyContext): KObject => {
    if (ctx.fieldManager === undefined) return obj;
    return updateManagedFields({
      old,
      updated: obj,
      manager: ctx.fieldManager,
      operation: 'Update',
      schemaName: def.schema,
      resolver: schemas,
      now: ctx.now,
      apiVersion: obj.apiVersion ?? (def.group === '' ? def.version : `${def.group}/${def.version}`),
      subresource: ctx.subresource,
      ignoredFields: ignoredFields(def, ctx.subresource),
    });
  };

  const virtual = new Map<string, VirtualHandler>();
  virtual.set(virtualKey('authentication.k8s.io', 'v1', 'tokenreviews', ''), {
    handle: async (_scope, body) => ({ code: 201, body: await reviewToken(body, (token, audiences) => opts.tokens.authenticateToken(token, audiences)) }),
  });
  virtual.set(virtualKey('authentication.k8s.io', 'v1', 'selfsubjectreviews', ''), {
    handle: async (scope) => ({ code: 201, body: selfSubjectReview(scope.user) }),
  });
  const authz4 = 'authorization.k8s.io';
  virtual.set(virtualKey(authz4, 'v1', 'subjectaccessreviews', ''), {
    handle: async (_scope, body) => ({ code: 201, body: subjectAccessReview(body, authorizer()) }),
  });
  virtual.set(virtualKey(authz4, 'v1', 'selfsubjectaccessreviews', ''), {
    handle: async (scope, body) => ({ code: 201, body: selfSubjectAccessReview(body, scope.user, authorizer()) }),
  });
  virtual.set(virtualKey(authz4, 'v1', 'localsubjectaccessreviews', ''), {
    handle: async (scope, body) => ({ code: 201, body: localSubjectAccessReview(body, scope.info.namespace, authorizer()) }),
  });
  virtual.set(virtualKey(authz4, 'v1', 'selfsubjectrulesreviews', ''), {
    handle: async (scope, body) => ({ code: 201, body: selfSubjectRulesReview(body, scope.user, authorizer()) }),
  });
  virtual.set(virtualKey('', 'v1', 'pods', 'eviction'), evictionHandler);
  virtual.set(virtualKey('', 'v1', 'serviceaccounts', 'token'), {
    bodyKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
    handle: async (scope, body) => {
      const result = await createTokenRequest({
        namespace: scope.info.namespace,
        name: scope.info.name,
        body,
        key: opts.saKey,
        apiAudiences: opts.apiAudiences,
        lookup: opts.objects,
        now: scope.ctx.now(),
      });
      return { code: 201, body: result.object };
    },
  });

  return {
    schemas,
    patcher,
    trackFields,
    virtual,
    paths,
    fieldProblems: (def, obj, raw) => strictDecodingProblems(obj, def.schema, schemas, raw),
    typeProblem: (def, obj) => typeMismatch(obj, def.schema, schemas),
    bind(_ctx, a) {
      authz = a.cluster;
    },
    impersonate(user, req) {
      // headersDistinct keeps repeated Impersonate-Group headers apart (headers joins them with ", ").
      const distinct = (req as { headersDistinct?: Record<string, string[]> }).headersDistinct ?? req.headers;
      if (!Object.keys(distinct).some((h) => h.startsWith('impersonate-'))) return user;
      const result = impersonate(user, distinct as Record<string, string | string[] | undefined>, authorizer());
      if (result instanceof ApiError) throw result;
      return result;
    },
  };
}
