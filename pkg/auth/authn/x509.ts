/**
 * Client-certificate authentication: a certificate chaining to the client CA, valid now and
 * usable for client auth, names the user (CN) and its groups (each O).
 */
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { UserInfo } from '../../api/types.ts';

/** The part of node:tls getPeerCertificate(true) used here; or the certificate's DER alone. */
export interface PeerCertificate {
  raw: Buffer;
  issuerCertificate?: PeerCertificate;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';

export type CertificateResult = undefined | { error: string } | { user: UserInfo };

/** The presented chain, leaf first, without the self-signed root node:tls links to itself. */
function presentedChain(peer: PeerCertificate | Buffer): Buffer[] {
  if (Buffer.isBuffer(peer)) return [peer];
  const chain: Buffer[] = [];
  for (let c: PeerCertificate | undefined = peer; c && c.raw && chain.length < 10; c = c.issuerCertificate) {
    if (chain.some((d) => d.equals(c!.raw))) break;
    chain.push(c.raw);
  }
  return chain;
}

function issuedBy(child: crypto.X509Certificate, parent: crypto.X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/**
 * Verifies the peer certificate against the client CAs (intermediates may come from the
 * presented chain). Undefined when no certificate was presented.
 */
export function authenticateCertificate(peer: PeerCertificate | Buffer | undefined, clientCaPems: readonly string[], now: Date): CertificateResult {
  const chain = peer ? presentedChain(peer) : [];
  if (chain.length === 0 || chain[0]!.length === 0) return undefined;
  let certs: crypto.X509Certificate[];
  try {
    certs = chain.map((der) => new crypto.X509Certificate(der));
  } catch {
    return { error: 'x509: malformed certificate' };
  }
  const leaf = certs[0]!;
  const roots = clientCaPems.map((pem) => new crypto.X509Certificate(pem));
  const t = now.getTime();
  for (const c of certs) {
    if (t < Date.parse(c.validFrom) || t > Date.parse(c.validTo)) {
      return { error: `x509: certificate has expired or is not yet valid: current time ${now.toISOString()} is outside ${c.validFrom} - ${c.validTo}` };
    }
  }
  let trusted = false;
  let current = leaf;
  for (let i = 1; !trusted; i++) {
    if (roots.some((r) => issuedBy(current, r))) {
      trusted = true;
      break;
    }
    const next = certs[i];
    if (!next || !next.ca || !issuedBy(current, next)) break;
    current = next;
  }
  if (!trusted) return { error: 'x509: certificate signed by unknown authority' };
  const usages = leaf.keyUsage;
  if (usages && usages.length > 0 && !usages.includes(CLIENT_AUTH) && !usages.includes(ANY_USAGE)) {
    return { error: 'x509: certificate specifies an incompatible key usage' };
  }
  const subject = new x509.X509Certificate(new Uint8Array(chain[0]!)).subjectName;
  const username = subject.getField('CN')[0] ?? '';
  if (username === '') return { error: 'x509: certificate has no common name' };
  return { user: { username, groups: subject.getField('O') } };
}
