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
import type { KObject, UserInfo } from '../api/types.ts';
import type { Authenticator as TokenAuthenticator } from '../auth/authn/authenticator.ts';
import { reviewToken, selfSubjectReview } from '../auth/authn/reviews.ts';
import { impersonate } from '../auth/impersonate/impersonate.ts';
import type { RbacAuthorizer } from '../auth/rbac/authorizer.ts';
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
  virtual: Map<string, VirtualHandler>;
  paths: Map<string, PathHandler>;
  /** Called once the cache and authorizer exist. */
  bind(ctx: ApiContext, authorizer: { rbac: RbacAuthorizer }): void;
  impersonate(user: UserInfo, req: Request): UserInfo;
}

export function apiExtras(opts: ExtrasOptions): ApiExtras {
  const schemas = new OpenApiSchemas();
  let rbac: RbacAuthorizer | undefined;
  const openapi = new OpenApiService({ resources: () => opts.table.all(), schemas, serverVersion: opts.serverVersion });
  opts.table.onChange(() => openapi.invalidate());
  const sendReply = (res: Parameters<PathHandler>[1], reply: OpenApiReply): void => {
    const headers: Record<string, string> = { ...reply.headers };
    if (reply.body) {
      headers['content-type'] = 'application/json';
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
  paths.set('/openapi/v2', async (req, res) => {
    sendReply(res, await openapi.v2({ accept: req.headers.accept, ifNoneMatch: req.headers['if-none-match'] as string | undefined }));
  });

  const patcher: Patcher = {
    apply(patchType, current, body, scope) {
      const custom = schemas.isCustom(scope.def.schema);
      const kind = patchKindFor(patchType, isStrategicMergePatchSupported(scope.def.schema, schemas, custom));
      if (kind === 'apply') {
        // Server-side apply lands with field ownership; until then an apply is a merge of the applied object.
        const applied = decodeApplyBody(body);
        return current ? (applyPatchBody('merge', current, JSON.stringify(applied), scope.def.schema, schemas)) : applied;
      }
      if (!current) throw new ApiError(404, 'NotFound', `${scope.def.group ? `${scope.def.plural}.${scope.def.group}` : scope.def.plural} "${scope.info.name}" not found`, { name: scope.info.name, group: scope.def.group, kind: scope.def.plural });
      return applyPatchBody(kind, current, body, scope.def.schema, schemas);
    },
  };

  const virtual = new Map<string, VirtualHandler>();
  virtual.set(virtualKey('authentication.k8s.io', 'v1', 'tokenreviews', ''), {
    handle: async (_scope, body) => ({ code: 201, body: await reviewToken(body, (token, audiences) => opts.tokens.authenticateToken(token, audiences)) }),
  });
  virtual.set(virtualKey('authentication.k8s.io', 'v1', 'selfsubjectreviews', ''), {
    handle: async (scope) => ({ code: 201, body: selfSubjectReview(scope.user) }),
  });
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
    virtual,
    paths,
    fieldProblems: (def, obj, raw) => strictDecodingProblems(obj, def.schema, schemas, raw),
    bind(_ctx, authorizer) {
      rbac = authorizer.rbac;
    },
    impersonate(user, req) {
      if (!rbac) return user;
      const result = impersonate(user, req.headers as Record<string, string | string[] | undefined>, {
        authorize: (attrs) => (attrs.user.groups.includes('system:masters') ? { decision: 'allow', reason: '' } : rbac!.authorize(attrs)),
      });
      if (result instanceof ApiError) throw result;
      return result;
    },
  };
}
