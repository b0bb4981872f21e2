/**
 * Service-account tokens for projected volumes, through the TokenRequest API bound to the pod
 * (as kubelet's token manager): kept per pod, audience and lifetime, and requested again once
 * 80 % of the lifetime has passed or the token is a day old, whichever comes first.
 */
import type { KObject } from '../../api/types.ts';
import { resourcePath, type Client } from '../../client/client.ts';

export interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef: { apiVersion: 'v1'; kind: 'Pod'; name: string; uid: string };
}

/** Issues a token for a service account; a fake in unit tests. */
export interface TokenSource {
  requestToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<{ token: string; expirationSeconds: number }>;
}

export class ClientTokenSource implements TokenSource {
  constructor(private readonly client: Client) {}

  async requestToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<{ token: string; expirationSeconds: number }> {
    const path = resourcePath({ version: 'v1', resource: 'serviceaccounts', namespace, name: serviceAccount, subresource: 'token' });
    const answer = await this.client.create<KObject>(path, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec });
    return { token: answer.status?.token as string, expirationSeconds: (answer.spec?.expirationSeconds as number | undefined) ?? spec.expirationSeconds };
  }
}

const MAX_AGE_MS = 24 * 3600_000;
export const DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600;

interface Cached {
  token: string;
  refreshAt: number;
}

export class ServiceAccountTokens {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly source: TokenSource, private readonly now: () => number = Date.now) {}

  /** A token for the pod's service account, fresh enough to hand to a container. */
  async tokenFor(pod: KObject, audience: string | undefined, expirationSeconds = DEFAULT_TOKEN_EXPIRATION_SECONDS): Promise<string> {
    const { namespace, name, uid } = pod.metadata as { namespace: string; name: string; uid: string };
    const serviceAccount: string = pod.spec?.serviceAccountName || 'default';
    const key = `${uid}\0${serviceAccount}\0${audience ?? ''}\0${expirationSeconds}`;
    const cached = this.cache.get(key);
    if (cached && this.now() < cached.refreshAt) return cached.token;
    const issued = await this.source.requestToken(namespace, serviceAccount, {
      audiences: audience ? [audience] : [],
      expirationSeconds,
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name, uid },
    });
    const lifetimeMs = Math.min(issued.expirationSeconds * 1000 * 0.8, MAX_AGE_MS);
    this.cache.set(key, { token: issued.token, refreshAt: this.now() + lifetimeMs });
    return issued.token;
  }

  /** Forgets the pod's tokens (it is gone). */
  forget(podUid: string): void {
    for (const key of this.cache.keys()) if (key.startsWith(`${podUid}\0`)) this.cache.delete(key);
  }
}
