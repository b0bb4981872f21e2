/**
 * The PEM checks of certificate signing requests: spec.request must be one parseable
 * CERTIFICATE REQUEST, status.certificate only CERTIFICATE blocks.
 */
import { Pkcs10CertificateRequest, X509Certificate } from '@peculiar/x509';
import { pemDecodeAll, type PemBlock } from '../../../auth/pem.ts';

/** JSON carries []byte fields as base64. */
export const decodeBytes = (value: unknown): string => (typeof value === 'string' ? Buffer.from(value, 'base64').toString('latin1') : '');

function blocksOf(text: string): PemBlock[] | undefined {
  try {
    return pemDecodeAll(text);
  } catch {
    return undefined;
  }
}

/** Why spec.request is unusable (Kubernetes' ParseCSR wording), or undefined when it parses. */
export function csrRequestError(request: unknown): string | undefined {
  const first = blocksOf(decodeBytes(request))?.[0];
  if (!first || first.label !== 'CERTIFICATE REQUEST') return 'PEM block type must be CERTIFICATE REQUEST';
  try {
    new Pkcs10CertificateRequest(new Uint8Array(first.der));
    return undefined;
  } catch {
    return 'x509: malformed certificate request';
  }
}

/** Why status.certificate is unusable (ValidateCertificate wording), or undefined when it is fine. */
export function issuedCertificateError(certificate: unknown): string | undefined {
  const text = decodeBytes(certificate);
  if (text === '') return undefined;
  const blocks = blocksOf(text) ?? [];
  if (blocks.length === 0) return 'must contain at least one CERTIFICATE PEM block';
  const other = blocks.find((b) => b.label !== 'CERTIFICATE');
  if (other) return `only CERTIFICATE PEM blocks are allowed, found "${other.label}"`;
  for (const block of blocks) {
    try {
      new X509Certificate(new Uint8Array(block.der));
    } catch {
      return 'x509: malformed certificate';
    }
  }
  return undefined;
}
