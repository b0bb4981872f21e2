/**
 * The TokenRequest subresource (`POST .../serviceaccounts/<name>/token`, what `kubectl create
 * token` calls): validates the request as Kubernetes does, resolves the bound object, signs, and
 * returns the TokenRequest with status.token and status.expirationTimestamp.
 */
import type { KObject } from '../../api/types.ts';
import { apiErrors } from '../../apiserver/errors.ts';
import { issueToken, type BoundObject, type SigningKey, type TokenObjectGetter } from './token.ts';

export const AUTHENTICATION_GROUP = 'authentication.k8s.io';
export const DEFAULT_EXPIRATION_SECONDS = 3600;
export const MIN_EXPIRATION_SECONDS = 600;
/** kubelet asks 3607 s for projected tokens; Kubernetes then issues one valid a year, warning after 3607 s. */
export const WARN_ONLY_EXPIRATION_SECONDS = 3607;
export const EXTENDED_EXPIRATION_SECONDS = 365 * 24 * 3600;

export interface TokenRequestOptions {
  /** Namespace and service-account name from the URL. */
  namespace: string;
  name: string;
  /** The decoded request body (authentication.k8s.io/v1 TokenRequest). */
  body: KObject;
  key: SigningKey;
  issuer?: string;
  /** The API server's audiences: the default for spec.audiences. */
  apiAudiences: string[];
  lookup: TokenObjectGetter;
  /** --service-account-max-token-expiration; longer requests are shortened (with a warning). */
  maxExpirationSeconds?: number;
  /** --service-account-extend-token-expiration (Kubernetes' default: true). */
  extendExpiration?: boolean;
  now: Date;
}

export interface TokenRequestResult {
  object: KObject;
  /** Warning headers to send (`299 - "..."`), e.g. a shortened expiration. */
  warnings: string[];
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function invalid(name: string, field: string, badValue: unknown, detail: string) {
  return apiErrors.invalid('TokenRequest', AUTHENTICATION_GROUP, name, [{ type: 'FieldValueInvalid', field, badValue, detail }]);
}

async function resolveBound(opts: TokenRequestOptions, ref: Record<string, unknown>): Promise<{ bound: BoundObject; node?: { name: string; uid?: string } }> {
  const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
  const kind = typeof ref.kind === 'string' ? ref.kind : '';
  const refName = typeof ref.name === 'string' ? ref.name : '';
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  let obj: KObject | undefined;
  let node: { name: string; uid?: string } | undefined;
  if (group === '' && kind === 'Pod') {
    obj = await opts.lookup.getPod(opts.namespace, refName);
    if (!obj) throw apiErrors.notFound({ group: '', resource: 'pods' }, refName);
    if (obj.spec?.serviceAccountName !== opts.name) {
      throw apiErrors.badRequest(`cannot bind token for serviceaccount "${opts.name}" to pod running with different serviceaccount name.`);
    }
    const nodeName: unknown = obj.spec?.nodeName;
    if (typeof nodeName === 'string' && nodeName !== '') {
      const n = await opts.lookup.getNode(nodeName);
      node = n?.metadata.uid ? { name: nodeName, uid: n.metadata.uid } : { name: nodeName };
    }
  } else if (group === '' && kind === 'Node') {
    obj = await opts.lookup.getNode(refName);
    if (!obj) throw apiErrors.notFound({ group: '', resource: 'nodes' }, refName);
  } else if (group === '' && kind === 'Secret') {
    obj = await opts.lookup.getSecret(opts.namespace, refName);
    if (!obj) throw apiErrors.notFound({ group: '', resource: 'secrets' }, refName);
  } else {
    throw apiErrors.badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
  }
  const uid = obj.metadata.uid ?? '';
  if (typeof ref.uid === 'string' && ref.uid !== '' && ref.uid !== uid) {
    throw apiErrors.conflict(
      { group, resource: kind },
      refName,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  return { bound: { kind: kind as BoundObject['kind'], name: refName, uid }, node };
}

/** Answers a TokenRequest create; throws ApiError (404, 400, 409, 422) as Kubernetes would. */
export async function createTokenRequest(opts: TokenRequestOptions): Promise<TokenRequestResult> {
  const meta = opts.body.metadata ?? {};
  if (meta.name && meta.name !== opts.name) {
    throw invalid(opts.name, 'metadata.name', meta.name, 'must match the service account name if specified');
  }
  if (meta.namespace && meta.namespace !== opts.namespace) {
    throw invalid(opts.name, 'metadata.namespace', meta.namespace, 'must match the service account namespace if specified');
  }
  const sa = await opts.lookup.getServiceAccount(opts.namespace, opts.name);
  if (!sa) throw apiErrors.notFound({ group: '', resource: 'serviceaccounts' }, opts.name);

  const spec: Record<string, unknown> = { ...(opts.body.spec ?? {}) };
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? (spec.audiences as string[]) : opts.apiAudiences;
  spec.audiences = audiences;
  let expirationSeconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : DEFAULT_EXPIRATION_SECONDS;
  spec.expirationSeconds = expirationSeconds;
  if (expirationSeconds < MIN_EXPIRATION_SECONDS) {
    throw invalid('', 'spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes');
  }
  if (expirationSeconds > 2 ** 32) {
    throw invalid('', 'spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds');
  }

  const ref = spec.boundObjectRef;
  const resolved = ref && typeof ref === 'object' ? await resolveBound(opts, ref as Record<string, unknown>) : undefined;

  const warnings: string[] = [];
  if (opts.maxExpirationSeconds && expirationSeconds > opts.maxExpirationSeconds) {
    warnings.push(`requested expiration of ${expirationSeconds} seconds shortened to ${opts.maxExpirationSeconds} seconds`);
    expirationSeconds = opts.maxExpirationSeconds;
    spec.expirationSeconds = expirationSeconds;
  }
  let exp = expirationSeconds;
  let warnAfterSeconds: number | undefined;
  const kubeAudiences = audiences.every((a) => opts.apiAudiences.includes(a));
  if ((opts.extendExpiration ?? true) && resolved?.bound.kind === 'Pod' && expirationSeconds === WARN_ONLY_EXPIRATION_SECONDS && kubeAudiences) {
    warnAfterSeconds = expirationSeconds;
    exp = EXTENDED_EXPIRATION_SECONDS;
  }

  const issued = issueToken(opts.key, {
    issuer: opts.issuer,
    namespace: opts.namespace,
    serviceAccount: { name: opts.name, uid: sa.metadata.uid ?? '' },
    audiences,
    expirationSeconds: exp,
    boundObject: resolved?.bound,
    node: resolved?.node,
    warnAfterSeconds,
    now: opts.now,
  });
  const object: KObject = {
    kind: 'TokenRequest',
    apiVersion: `${AUTHENTICATION_GROUP}/v1`,
    metadata: { name: opts.name, namespace: opts.namespace, creationTimestamp: rfc3339(opts.now) },
    spec,
    status: {
      token: issued.token,
      // What the client asked for, not the extended lifetime: kubelet refreshes on this.
      expirationTimestamp: rfc3339(new Date(opts.now.getTime() + expirationSeconds * 1000)),
    },
  };
  return { object, warnings };
}
