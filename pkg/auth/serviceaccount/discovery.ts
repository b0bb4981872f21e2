/**
 * Service-account issuer discovery (`/.well-known/openid-configuration` and `/openid/v1/jwks`),
 * so other systems can verify tsk's service-account tokens as they would Kubernetes' ones.
 */
import type { VerificationKey } from './token.ts';

/** The OpenID provider configuration Kubernetes serves; `jwksUri` is the public URL of /openid/v1/jwks. */
export function openidConfiguration(issuer: string, jwksUri: string, keys: readonly VerificationKey[]): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: jwksUri,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set(keys.map((k) => k.algorithm))],
  };
}

/** The JSON Web Key Set of the verification keys. */
export function jwks(keys: readonly VerificationKey[]): { keys: Record<string, unknown>[] } {
  return {
    keys: keys.map((k) => ({ use: 'sig', ...k.publicKey.export({ format: 'jwk' }), kid: k.keyId, alg: k.algorithm })),
  };
}
