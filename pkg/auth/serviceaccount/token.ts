/**
 * Bound service-account tokens: JWTs with Kubernetes' claims, issued by the TokenRequest API and
 * validated on every request. Validation is stateless (signature, issuer, audience, time) plus
 * Kubernetes' liveness checks: the service account, and the pod/secret/node the token is bound
 * to, must still exist with the uid in the token.
 */
import crypto from 'node:crypto';
import type { KObject, UserInfo } from '../../api/types.ts';
import { goQuote, goQuoteList } from '../rbac/gotext.ts';
import { parseJwt, signJwt, verifyJwtSignature } from './jwt.ts';
import type { JwtAlgorithm } from './key.ts';
import { serviceAccountGroups, serviceAccountUsername } from './username.ts';

/** The issuer (and default audience) of an API server in cluster domain cluster.local. */
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** Clock skew tolerated on exp/nbf/iat and on deletion (go-jose's DefaultLeeway). */
export const LEEWAY_SECONDS = 60;

export const EXTRA_POD_NAME = 'authentication.kubernetes.io/pod-name';
export const EXTRA_POD_UID = 'authentication.kubernetes.io/pod-uid';
export const EXTRA_NODE_NAME = 'authentication.kubernetes.io/node-name';
export const EXTRA_NODE_UID = 'authentication.kubernetes.io/node-uid';
export const EXTRA_CREDENTIAL_ID = 'authentication.kubernetes.io/credential-id';

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface BoundObject {
  kind: 'Pod' | 'Secret' | 'Node';
  name: string;
  uid: string;
}

export interface SigningKey {
  privateKey: crypto.KeyObject;
  algorithm: JwtAlgorithm;
  keyId: string;
}

export interface IssueTokenOptions {
  issuer?: string;
  namespace: string;
  serviceAccount: ObjectRef;
  audiences: string[];
  expirationSeconds: number;
  boundObject?: BoundObject;
  /** For a pod-bound token: the node the pod runs on (uid may be unknown). */
  node?: { name: string; uid?: string };
  /** Seconds after which using the token is logged as stale though still valid (extended pod tokens). */
  warnAfterSeconds?: number;
  now: Date;
}

export interface IssuedToken {
  token: string;
  /** When `exp` says the token ends. */
  expiresAt: Date;
  jti: string;
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

export function issueToken(key: SigningKey, opts: IssueTokenOptions): IssuedToken {
  const iat = seconds(opts.now);
  const exp = iat + opts.expirationSeconds;
  const jti = crypto.randomUUID();
  const k8s: Record<string, unknown> = {
    namespace: opts.namespace,
    serviceaccount: { name: opts.serviceAccount.name, uid: opts.serviceAccount.uid },
  };
  const bound = opts.boundObject;
  if (bound?.kind === 'Pod') {
    k8s.pod = { name: bound.name, uid: bound.uid };
    if (opts.node) k8s.node = opts.node.uid ? { name: opts.node.name, uid: opts.node.uid } : { name: opts.node.name };
  } else if (bound?.kind === 'Secret') {
    k8s.secret = { name: bound.name, uid: bound.uid };
  } else if (bound?.kind === 'Node') {
    k8s.node = { name: bound.name, uid: bound.uid };
  }
  if (opts.warnAfterSeconds) k8s.warnafter = iat + opts.warnAfterSeconds;
  const payload = {
    aud: opts.audiences,
    exp,
    iat,
    iss: opts.issuer ?? DEFAULT_ISSUER,
    jti,
    'kubernetes.io': k8s,
    nbf: iat,
    sub: serviceAccountUsername(opts.namespace, opts.serviceAccount.name),
  };
  return { token: signJwt(payload, key.privateKey, key.algorithm, key.keyId), expiresAt: new Date(exp * 1000), jti };
}

/** Objects the liveness checks read (from the watch cache); undefined = not found. */
export interface TokenObjectGetter {
  getServiceAccount(namespace: string, name: string): KObject | undefined | Promise<KObject | undefined>;
  getPod(namespace: string, name: string): KObject | undefined | Promise<KObject | undefined>;
  getSecret(namespace: string, name: string): KObject | undefined | Promise<KObject | undefined>;
  getNode(name: string): KObject | undefined | Promise<KObject | undefined>;
}

export interface VerificationKey {
  publicKey: crypto.KeyObject;
  algorithm: JwtAlgorithm;
  keyId: string;
}

export interface ValidateOptions {
  /** The API server's own audiences: tokens without `aud`, and requests naming none, use these. */
  apiAudiences: string[];
  /** The audiences the caller accepts (TokenReview's spec.audiences); default apiAudiences. */
  audiences?: string[];
  issuers?: string[];
  keys: VerificationKey[];
  lookup: TokenObjectGetter;
  now: Date;
}

/**
 * `undefined`: not a token of this issuer (another authenticator may know it). `error`: ours but
 * invalid, with Kubernetes' message. Otherwise the user and the audiences it is valid for.
 */
export type TokenValidation = undefined | { error: string } | { user: UserInfo; audiences: string[] };

interface RefClaim {
  name?: unknown;
  uid?: unknown;
}

const refOf = (v: unknown): RefClaim | undefined => (typeof v === 'object' && v !== null ? (v as RefClaim) : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const audiencesOf = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : []);

function deletedBefore(obj: KObject, cutoff: number): boolean {
  const ts = obj.metadata.deletionTimestamp;
  return ts !== undefined && Date.parse(ts) < cutoff;
}

export async function validateToken(token: string, opts: ValidateOptions): Promise<TokenValidation> {
  const issuers = opts.issuers ?? [DEFAULT_ISSUER];
  if (token.trimStart().startsWith('{')) return undefined;
  const jwt = parseJwt(token);
  if (!jwt || !issuers.includes(str(jwt.payload.iss))) return undefined;

  const kid = str(jwt.header.kid);
  const keys = kid === '' ? opts.keys : opts.keys.filter((k) => k.keyId === kid);
  if (keys.length === 0) return { error: 'invalid signature, no keys found' };
  if (!keys.some((k) => verifyJwtSignature(jwt, k.publicKey, k.algorithm))) {
    return { error: 'go-jose/go-jose: error in cryptographic primitive' };
  }

  const claims = jwt.payload;
  let tokenAudiences = audiencesOf(claims.aud);
  if (tokenAudiences.length === 0) tokenAudiences = opts.apiAudiences;
  const requested = opts.audiences && opts.audiences.length > 0 ? opts.audiences : opts.apiAudiences;
  const audiences = tokenAudiences.filter((a) => requested.includes(a));
  if (audiences.length === 0 && opts.apiAudiences.length > 0) {
    return { error: `token audiences ${goQuoteList(tokenAudiences)} is invalid for the target audiences ${goQuoteList(requested)}` };
  }

  const now = opts.now.getTime();
  const leeway = LEEWAY_SECONDS * 1000;
  const time = (v: unknown): number | undefined => (typeof v === 'number' ? v * 1000 : undefined);
  const nbf = time(claims.nbf);
  const exp = time(claims.exp);
  const iat = time(claims.iat);
  if (nbf !== undefined && now + leeway < nbf) return { error: 'service account token is not valid yet' };
  if (exp !== undefined && now - leeway > exp) return { error: 'service account token has expired' };
  if (iat !== undefined && now + leeway < iat) return { error: 'service account token is issued in the future' };

  const k8s = refOf(claims['kubernetes.io']) as Record<string, unknown> | undefined;
  const namespace = str(k8s?.namespace);
  const saRef = refOf(k8s?.serviceaccount) ?? {};
  const saName = str(saRef.name);
  const cutoff = now - leeway;
  const sa = await opts.lookup.getServiceAccount(namespace, saName);
  if (!sa) return { error: `serviceaccounts ${goQuote(saName)} not found` };
  if ((sa.metadata.uid ?? '') !== str(saRef.uid)) {
    return { error: `service account UID (${sa.metadata.uid ?? ''}) does not match claim (${str(saRef.uid)})` };
  }
  if (deletedBefore(sa, cutoff)) return { error: `service account ${namespace}/${saName} has been deleted` };

  const invalidated = { error: 'service account token has been invalidated' };
  const secretRef = refOf(k8s?.secret);
  if (secretRef) {
    const secret = await opts.lookup.getSecret(namespace, str(secretRef.name));
    if (!secret) return invalidated;
    if (str(secretRef.uid) !== (secret.metadata.uid ?? '')) {
      return { error: `secret UID (${secret.metadata.uid ?? ''}) does not match service account secret ref claim (${str(secretRef.uid)})` };
    }
    if (deletedBefore(secret, cutoff)) return invalidated;
  }

  const extra: Record<string, string[]> = {};
  const podRef = refOf(k8s?.pod);
  if (podRef) {
    const pod = await opts.lookup.getPod(namespace, str(podRef.name));
    if (!pod) return invalidated;
    if (str(podRef.uid) !== (pod.metadata.uid ?? '')) {
      return { error: `pod UID (${pod.metadata.uid ?? ''}) does not match service account pod ref claim (${str(podRef.uid)})` };
    }
    if (deletedBefore(pod, cutoff)) return invalidated;
    extra[EXTRA_POD_NAME] = [str(podRef.name)];
    extra[EXTRA_POD_UID] = [str(podRef.uid)];
  }

  const nodeRef = refOf(k8s?.node);
  if (nodeRef && !podRef) {
    // Only a token bound to the Node itself depends on the node still existing.
    const node = await opts.lookup.getNode(str(nodeRef.name));
    if (!node) return invalidated;
    if (str(nodeRef.uid) !== (node.metadata.uid ?? '')) {
      return { error: `node UID (${node.metadata.uid ?? ''}) does not match service account node ref claim (${str(nodeRef.uid)})` };
    }
    if (deletedBefore(node, cutoff)) return invalidated;
  }
  const jti = str(claims.jti);
  if (jti !== '') extra[EXTRA_CREDENTIAL_ID] = [`JTI=${jti}`];
  if (nodeRef && str(nodeRef.name) !== '') {
    extra[EXTRA_NODE_NAME] = [str(nodeRef.name)];
    if (str(nodeRef.uid) !== '') extra[EXTRA_NODE_UID] = [str(nodeRef.uid)];
  }

  const user: UserInfo = {
    username: serviceAccountUsername(namespace, saName),
    uid: str(saRef.uid),
    groups: serviceAccountGroups(namespace),
  };
  if (Object.keys(extra).length > 0) user.extra = extra;
  return { user, audiences };
}
