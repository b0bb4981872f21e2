/**
 * Certificates: a CA, serving certificates and client certificates signed by it, all ECDSA
 * P-256 with SHA-256, built by @peculiar/x509 (no hand-written ASN.1). Shapes follow k3s:
 * CA CN `<prefix>@<unix time>` valid 10 years, leaves valid 1 year.
 */
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { certPolicy } from './certpolicy.ts';
import { generateKeyPair, keyPairFromPem, privateKeyToPem, SIGNING_ALGORITHM } from './keys.ts';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

/** A certificate and its private key, both PEM. */
export interface CertKey {
  certPem: string;
  keyPem: string;
}

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** notBefore is set this far back, so a peer whose clock is a little behind accepts the cert. */
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

/** A random positive serial number of 16 bytes, in hex (first byte 0x01..0x7f: positive, minimal DER). */
function serialNumber(): string {
  const b = crypto.randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

function nameOf(commonName: string, organizations: readonly string[] = []): x509.JsonName {
  // Distinguished names as JSON, so a comma or '=' in a name is a value, never syntax.
  const name: x509.JsonName = organizations.map((o) => ({ O: [o] }));
  name.push({ CN: [commonName] });
  return name;
}

/** A self-signed CA: CN `<prefix>@<unix seconds>`, valid CA_VALIDITY_DAYS. */
export async function createCa(prefix: string, now: Date = new Date()): Promise<CertKey> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: nameOf(`${prefix}@${Math.floor(now.getTime() / 1000)}`),
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyToPem(keys.privateKey) };
}

export interface LeafOptions {
  commonName: string;
  /** Subject O= values; for a client certificate these are the Kubernetes groups. */
  organizations?: readonly string[];
  dnsNames?: readonly string[];
  ips?: readonly string[];
  usage: 'server' | 'client';
  now?: Date;
}

/** A leaf certificate signed by `ca`, valid LEAF_VALIDITY_DAYS (never past the CA's own end; shorter under a test policy, certpolicy.ts). */
export async function issueCert(ca: CertKey, opts: LeafOptions): Promise<CertKey> {
  const now = opts.now ?? new Date();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKeys = await keyPairFromPem(ca.keyPem);
  const keys = await generateKeyPair();
  const notAfter = Math.min(now.getTime() + certPolicy().leafValidityMs, caCert.notAfter.getTime());
  const sans: x509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(
      [opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
      false,
    ),
    await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: nameOf(opts.commonName, opts.organizations),
    issuer: caCert.subjectName,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(notAfter),
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyToPem(keys.privateKey) };
}

/** A serving certificate (server auth) for these DNS names and IPs. */
export function issueServingCert(
  ca: CertKey,
  opts: { commonName: string; dnsNames: readonly string[]; ips: readonly string[]; now?: Date },
): Promise<CertKey> {
  return issueCert(ca, { ...opts, usage: 'server' });
}

/** A client certificate (client auth): CN is the user name, O the groups. */
export function issueClientCert(
  ca: CertKey,
  opts: { commonName: string; groups?: readonly string[]; now?: Date },
): Promise<CertKey> {
  return issueCert(ca, { commonName: opts.commonName, organizations: opts.groups, usage: 'client', now: opts.now });
}

/** The SANs of a certificate, as written in it (IPs canonicalised by canonicalIp). */
export function certSans(certPem: string): { dnsNames: string[]; ips: string[] } {
  const ext = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  const names = ext?.names.toJSON() ?? [];
  return {
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    ips: names.filter((n) => n.type === 'ip').map((n) => n.value),
  };
}

/** Whether `certPem` was issued and signed by `caPem` (signature checked, not only names). */
export function isSignedBy(certPem: string, caPem: string): boolean {
  const cert = new crypto.X509Certificate(certPem);
  const ca = new crypto.X509Certificate(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}
