/**
 * The authentication.k8s.io review answers: TokenReview (is this token valid, and whose is
 * it) and SelfSubjectReview (`kubectl auth whoami`).
 */
import type { KObject, UserInfo } from '../../api/types.ts';
import { apiErrors } from '../../apiserver/errors.ts';
import type { TokenOutcome } from './authenticator.ts';

const GROUP_VERSION = 'authentication.k8s.io/v1';

/** UserInfo as the review APIs print it: empty uid, groups and extra left out. */
function userInfoJson(user: UserInfo | undefined): Record<string, unknown> {
  if (!user) return {};
  const out: Record<string, unknown> = { username: user.username };
  if (user.uid) out.uid = user.uid;
  if (user.groups.length > 0) out.groups = user.groups;
  if (user.extra && Object.keys(user.extra).length > 0) out.extra = user.extra;
  return out;
}

export type TokenAuthenticate = (token: string, audiences?: string[]) => Promise<TokenOutcome>;

/** Answers a TokenReview create; a review without spec.token is 400 as in Kubernetes. */
export async function reviewToken(review: KObject, authenticate: TokenAuthenticate): Promise<KObject> {
  const token: unknown = review.spec?.token;
  if (typeof token !== 'string' || token === '') {
    throw apiErrors.badRequest('token is required for TokenReview in authentication.k8s.io');
  }
  const audiences: unknown = review.spec?.audiences;
  const wanted = Array.isArray(audiences) ? audiences.filter((a): a is string => typeof a === 'string') : [];
  const outcome = await authenticate(token, wanted.length > 0 ? wanted : undefined);
  const status: Record<string, unknown> = {};
  if (outcome.authenticated) status.authenticated = true;
  status.user = userInfoJson(outcome.authenticated ? outcome.user : undefined);
  if (outcome.authenticated && outcome.audiences?.length) status.audiences = outcome.audiences;
  if (outcome.error) status.error = outcome.error;
  return { apiVersion: GROUP_VERSION, kind: 'TokenReview', metadata: { ...(review.metadata ?? {}) }, spec: review.spec, status };
}

/** Answers a SelfSubjectReview create with the requesting user. */
export function selfSubjectReview(user: UserInfo): KObject {
  return { apiVersion: GROUP_VERSION, kind: 'SelfSubjectReview', metadata: {}, status: { userInfo: userInfoJson(user) } };
}
