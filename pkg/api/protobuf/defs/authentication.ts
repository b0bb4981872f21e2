/**
 * authentication.k8s.io/v1 (TokenRequest is the body of serviceaccounts/<name>/token).
 * Field numbers, JSON names and Go field shapes follow Kubernetes' types (see ../messages.ts).
 */
import type { ApiPackage } from '../registry.ts';

export const authentication: ApiPackage = {
  name: 'authentication',
  apiVersions: ['authentication.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'TokenReview TokenRequest SelfSubjectReview',
  messages: `
TokenReview: 1 metadata ObjectMeta, 2 spec TokenReviewSpec, 3 status TokenReviewStatus
TokenReviewSpec: 1 token, 2 audiences []s
TokenReviewStatus: 1 authenticated b, 2 user UserInfo, 4 audiences []s, 3 error
UserInfo: 1 username, 2 uid, 3 groups []s, 4 extra {}ExtraValue
TokenRequest: 1 metadata ObjectMeta, 2 spec TokenRequestSpec, 3 status TokenRequestStatus
TokenRequestSpec: 1 audiences []s, 4 expirationSeconds *i64, 3 boundObjectRef *BoundObjectReference
TokenRequestStatus: 1 token!, 2 expirationTimestamp Time
BoundObjectReference: 1 kind, 2 apiVersion, 3 name, 4 uid
SelfSubjectReview: 1 metadata ObjectMeta, 2 status SelfSubjectReviewStatus
SelfSubjectReviewStatus: 1 userInfo UserInfo
`,
};
