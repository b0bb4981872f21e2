/**
 * Static bearer tokens: a table tsk fills (e.g. the node join secret → a node identity, tokens of
 * tsk's own components), like kube-apiserver's --token-auth-file. Lookups hash the token so
 * the comparison takes the same time whatever the token.
 */
import crypto from 'node:crypto';
import type { UserInfo } from '../../api/types.ts';

export interface StaticToken {
  token: string;
  user: UserInfo;
}

export type StaticTokenTable = (token: string) => UserInfo | undefined;

const digest = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

export function staticTokenTable(entries: readonly StaticToken[]): StaticTokenTable {
  const byDigest = new Map(entries.map((e) => [digest(e.token), e.user]));
  return (token) => {
    const user = byDigest.get(digest(token));
    return user ? { ...user, groups: [...user.groups] } : undefined;
  };
}
