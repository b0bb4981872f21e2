/**
 * Request authentication as kube-apiserver composes it: client certificate first, then the
 * bearer token (static table, service-account JWT, bootstrap token). A request with no
 * credentials is system:anonymous; one whose credentials all fail is rejected (401), never
 * downgraded to anonymous.
 */
import type { UserInfo } from '../../api/types.ts';
import { aggregateMessage } from '../rbac/gotext.ts';
import { validateToken, type TokenObjectGetter, type VerificationKey } from '../serviceaccount/token.ts';
import { authenticateBootstrapToken, type SecretLookup } from './bootstrap.ts';
import { staticTokenTable, type StaticToken } from './static.ts';
import { anonymousUser, withAuthenticatedGroup } from './users.ts';
import { authenticateCertificate, type PeerCertificate } from './x509.ts';

export interface AuthenticatorOptions {
  /** PEM of the CA(s) client certificates must chain to (DATA_DIR/server/tls/client-ca.crt). */
  clientCaPems: string[];
  serviceAccounts?: {
    keys: VerificationKey[];
    issuers?: string[];
    /** The API server's audiences (default: the issuer). */
    apiAudiences: string[];
    lookup: TokenObjectGetter;
  };
  /** Enables bootstrap tokens. */
  secrets?: SecretLookup;
  staticTokens?: StaticToken[];
  now?: () => Date;
}

export interface AuthenticationRequest {
  peerCertificate?: PeerCertificate | Buffer;
  /** The Authorization header. */
  authorization?: string;
}

/** `user` when authenticated (or anonymous); `error` (for the log) when credentials were presented and failed: answer 401. */
export type AuthenticationOutcome = { user: UserInfo; audiences: string[] } | { error: string };

export interface TokenOutcome {
  authenticated: boolean;
  user?: UserInfo;
  audiences?: string[];
  /** Kubernetes' text, e.g. `[invalid bearer token, service account token has expired]`. */
  error?: string;
}

export interface Authenticator {
  /** The user, or undefined when presented credentials failed (answer 401 Unauthorized). */
  authenticate(req: AuthenticationRequest): Promise<UserInfo | undefined>;
  authenticateRequest(req: AuthenticationRequest): Promise<AuthenticationOutcome>;
  /** One bearer token, for requests and for TokenReview (`audiences` from spec.audiences). */
  authenticateToken(token: string, audiences?: string[]): Promise<TokenOutcome>;
}

const INVALID_TOKEN = 'invalid bearer token';

/** The token of `Authorization: Bearer <token>`; '' for an empty one; undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  const auth = (header ?? '').trim();
  if (auth === '') return undefined;
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0]!.toLowerCase() !== 'bearer') return undefined;
  return parts[1]!;
}

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const now = opts.now ?? (() => new Date());
  const staticTokens = staticTokenTable(opts.staticTokens ?? []);
  const sa = opts.serviceAccounts;
  const apiAudiences = sa?.apiAudiences ?? [];

  async function authenticateToken(token: string, audiences?: string[]): Promise<TokenOutcome> {
    const errors: string[] = [];
    if (token !== '') {
      const fromTable = staticTokens(token);
      if (fromTable) return { authenticated: true, user: withAuthenticatedGroup(fromTable), audiences: audiences?.length ? audiences : apiAudiences };
      if (sa) {
        const r = await validateToken(token, { ...sa, audiences, now: now() });
        if (r && 'user' in r) return { authenticated: true, user: withAuthenticatedGroup(r.user), audiences: r.audiences };
        if (r) errors.push(r.error);
      }
      if (opts.secrets) {
        const user = await authenticateBootstrapToken(token, opts.secrets, now());
        if (user) return { authenticated: true, user: withAuthenticatedGroup(user), audiences: audiences?.length ? audiences : apiAudiences };
      }
    }
    return { authenticated: false, error: aggregateMessage([INVALID_TOKEN, ...(errors.length ? [aggregateMessage(errors)] : [])]) };
  }

  async function authenticateRequest(req: AuthenticationRequest): Promise<AuthenticationOutcome> {
    const errors: string[] = [];
    const cert = authenticateCertificate(req.peerCertificate, opts.clientCaPems, now());
    if (cert && 'user' in cert) return { user: withAuthenticatedGroup(cert.user), audiences: apiAudiences };
    if (cert) errors.push(`verifying certificate failed: ${cert.error}`);
    const token = bearerToken(req.authorization);
    if (token !== undefined) {
      const t = await authenticateToken(token);
      if (t.authenticated) return { user: t.user!, audiences: t.audiences ?? [] };
      errors.push(t.error ?? INVALID_TOKEN);
    }
    if (errors.length > 0) return { error: aggregateMessage(errors) };
    return { user: anonymousUser(), audiences: apiAudiences };
  }

  return {
    authenticateRequest,
    authenticateToken,
    async authenticate(req) {
      const outcome = await authenticateRequest(req);
      return 'user' in outcome ? outcome.user : undefined;
    },
  };
}
