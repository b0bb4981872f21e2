/**
 * Bootstrap tokens (`<id>.<secret>`, what `kubeadm join`-style flows use): valid while the
 * Secret `bootstrap-token-<id>` in kube-system, of type bootstrap.kubernetes.io/token, holds the
 * same id and secret, allows authentication and has not expired. The user is
 * `system:bootstrap:<id>` in system:bootstrappers plus the secret's auth-extra-groups.
 */
import crypto from 'node:crypto';
import type { KObject, UserInfo } from '../../api/types.ts';

export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const BOOTSTRAP_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_NAMESPACE = 'kube-system';
export const BOOTSTRAPPERS_GROUP = 'system:bootstrappers';
const EXTRA_GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** Read access to Secrets (from the watch cache); undefined = not found. */
export interface SecretLookup {
  get(namespace: string, name: string): KObject | undefined | Promise<KObject | undefined>;
}

function dataOf(secret: KObject, key: string): string {
  const v: unknown = secret.data?.[key];
  return typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '';
}

function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * The bootstrap user for `token`, or undefined when the token is not a bootstrap token or
 * fails any check (Kubernetes only logs why; the request is then unauthenticated).
 */
export async function authenticateBootstrapToken(token: string, secrets: SecretLookup, now: Date): Promise<UserInfo | undefined> {
  const m = BOOTSTRAP_TOKEN_PATTERN.exec(token);
  if (!m) return undefined;
  const [, id, tokenSecret] = m as unknown as [string, string, string];
  const secret = await secrets.get(BOOTSTRAP_NAMESPACE, `bootstrap-token-${id}`);
  if (!secret || secret.metadata.deletionTimestamp) return undefined;
  if (secret.type !== BOOTSTRAP_SECRET_TYPE || !secret.data) return undefined;
  if (!sameSecret(dataOf(secret, 'token-secret'), tokenSecret)) return undefined;
  if (dataOf(secret, 'token-id') !== id) return undefined;
  const expiration = dataOf(secret, 'expiration');
  if (expiration !== '') {
    const at = Date.parse(expiration);
    // An unreadable expiration counts as expired, as in Kubernetes.
    if (Number.isNaN(at) || at < now.getTime()) return undefined;
  }
  if (dataOf(secret, 'usage-bootstrap-authentication') !== 'true') return undefined;
  const groups = [BOOTSTRAPPERS_GROUP];
  const extra = dataOf(secret, 'auth-extra-groups');
  for (const g of extra === '' ? [] : extra.split(',')) {
    if (!EXTRA_GROUP_PATTERN.test(g)) return undefined;
    if (!groups.includes(g)) groups.push(g);
  }
  return { username: `system:bootstrap:${id}`, groups };
}
