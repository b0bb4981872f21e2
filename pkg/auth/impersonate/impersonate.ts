/**
 * Impersonation (`kubectl --as`, `--as-group`, `--as-uid`): the Impersonate-* headers name
 * who the request should act as. Each thing impersonated is one authorization check (verb
 * `impersonate` on users, groups, serviceaccounts, uids or userextras/<key>) for the real user;
 * only when all pass does the request continue as the impersonated user.
 */
import type { UserInfo } from '../../api/types.ts';
import { apiErrors, type ApiError } from '../../apiserver/errors.ts';
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, ANONYMOUS_USER } from '../authn/users.ts';
import { forbiddenError } from '../rbac/authorizer.ts';
import type { Attributes, Authorizer } from '../rbac/types.ts';
import { serviceAccountGroups, serviceAccountUsername, splitServiceAccountUsername } from '../serviceaccount/username.ts';

export const IMPERSONATE_USER = 'impersonate-user';
export const IMPERSONATE_GROUP = 'impersonate-group';
export const IMPERSONATE_UID = 'impersonate-uid';
export const IMPERSONATE_EXTRA_PREFIX = 'impersonate-extra-';
const AUTHENTICATION_GROUP = 'authentication.k8s.io';

/**
 * Request headers by lower-case name. Pass node's `req.headersDistinct`, so repeated
 * Impersonate-Group headers stay separate values.
 */
export type Headers = Record<string, string | string[] | undefined>;

/** One impersonation check: the attributes to authorize, without the requesting user. */
export type ImpersonationCheck = Omit<Attributes, 'user'>;

export interface ImpersonationRequest {
  checks: ImpersonationCheck[];
  /** Who the request acts as once every check is allowed. */
  user: UserInfo;
}

const values = (h: string | string[] | undefined): string[] => (h === undefined ? [] : Array.isArray(h) ? h : [h]);

function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/** How Go's %v prints a v1.ObjectReference: its seven fields, space-separated, in braces. */
function describeRef(kind: string, name: string, opts: { namespace?: string; apiVersion?: string; fieldPath?: string } = {}): string {
  return `{${[kind, opts.namespace ?? '', name, '', opts.apiVersion ?? '', '', opts.fieldPath ?? ''].join(' ')}}`;
}

/**
 * Reads the Impersonate-* headers: undefined when there are none; the checks and resulting
 * user otherwise. Groups, extras or a uid without a user is a 400, with Kubernetes' text.
 */
export function parseImpersonation(headers: Headers): ImpersonationRequest | undefined {
  const checks: ImpersonationCheck[] = [];
  const described: string[] = [];
  const requestedUser = values(headers[IMPERSONATE_USER])[0] ?? '';
  const groupsRequested = values(headers[IMPERSONATE_GROUP]);
  const check = (c: Omit<ImpersonationCheck, 'verb' | 'resourceRequest'>) => checks.push({ verb: 'impersonate', resourceRequest: true, apiGroup: '', ...c });

  let username = '';
  let groups: string[] = [];
  if (requestedUser !== '') {
    const sa = splitServiceAccountUsername(requestedUser);
    if (sa) {
      check({ resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name });
      described.push(describeRef('ServiceAccount', sa.name, { namespace: sa.namespace }));
      username = serviceAccountUsername(sa.namespace, sa.name);
      // A service account's groups follow from its name, unless groups are given explicitly.
      if (groupsRequested.length === 0) groups = serviceAccountGroups(sa.namespace);
    } else {
      check({ resource: 'users', name: requestedUser });
      described.push(describeRef('User', requestedUser));
      username = requestedUser;
    }
  }
  for (const g of groupsRequested) {
    check({ resource: 'groups', name: g });
    described.push(describeRef('Group', g));
    groups.push(g);
  }
  const extra: Record<string, string[]> = {};
  for (const [header, value] of Object.entries(headers)) {
    if (!header.toLowerCase().startsWith(IMPERSONATE_EXTRA_PREFIX)) continue;
    const key = unescapeExtraKey(header.slice(IMPERSONATE_EXTRA_PREFIX.length).toLowerCase());
    for (const v of values(value)) {
      check({ apiGroup: AUTHENTICATION_GROUP, resource: 'userextras', subresource: key, name: v });
      described.push(describeRef('UserExtra', v, { apiVersion: `${AUTHENTICATION_GROUP}/v1`, fieldPath: key }));
      (extra[key] ??= []).push(v);
    }
  }
  const uid = values(headers[IMPERSONATE_UID])[0] ?? '';
  if (uid !== '') {
    check({ apiGroup: AUTHENTICATION_GROUP, resource: 'uids', name: uid });
    described.push(describeRef('UID', uid, { apiVersion: `${AUTHENTICATION_GROUP}/v1` }));
  }
  if (checks.length === 0) return undefined;
  if (requestedUser === '') {
    throw apiErrors.badRequest(`requested [${described.join(' ')}] without impersonating a user`);
  }

  if (username !== ANONYMOUS_USER) {
    if (!groups.includes(ALL_AUTHENTICATED) && !groups.includes(ALL_UNAUTHENTICATED)) groups.push(ALL_AUTHENTICATED);
  } else if (!groups.includes(ALL_UNAUTHENTICATED)) {
    groups.push(ALL_UNAUTHENTICATED);
  }
  const user: UserInfo = { username, groups, extra };
  if (uid !== '') user.uid = uid;
  return { checks, user };
}

/**
 * The user a request acts as: the requestor itself without Impersonate-* headers, the
 * impersonated user when `requestor` may impersonate everything asked, else the ApiError to
 * answer (400 for malformed headers, 403 naming the first check refused).
 */
export function impersonate(requestor: UserInfo, headers: Headers, authorizer: Authorizer): UserInfo | ApiError {
  let request: ImpersonationRequest | undefined;
  try {
    request = parseImpersonation(headers);
  } catch (err) {
    return err as ApiError;
  }
  if (!request) return requestor;
  for (const c of request.checks) {
    const attrs: Attributes = { ...c, user: requestor };
    const result = authorizer.authorize(attrs);
    if (result.decision !== 'allow') return forbiddenError(attrs, result.reason);
  }
  return request.user;
}
