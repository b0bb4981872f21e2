/**
 * certificates.k8s.io/v1 (`kubectl certificate approve|deny` PUTs the approval as protobuf).
 * Field numbers, JSON names and Go field shapes follow Kubernetes' types (see ../messages.ts).
 */
import type { ApiPackage } from '../registry.ts';

export const certificates: ApiPackage = {
  name: 'certificates',
  apiVersions: ['certificates.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'CertificateSigningRequest+',
  messages: `
CertificateSigningRequest: 1 metadata ObjectMeta, 2 spec CertificateSigningRequestSpec, 3 status CertificateSigningRequestStatus
CertificateSigningRequestSpec: 1 request! by, 7 signerName!, 8 expirationSeconds *i32, 5 usages []s, 2 username, 3 uid, 4 groups []s, 6 extra {}ExtraValue
CertificateSigningRequestStatus: 1 conditions []CertificateSigningRequestCondition, 2 certificate by
CertificateSigningRequestCondition: 1 type!, 6 status!, 2 reason, 3 message, 4 lastUpdateTime Time, 5 lastTransitionTime Time
`,
};
