/**
 * Key pairs for tsk's certificates: ECDSA P-256, as k3s uses. Generated and used through
 * WebCrypto (what @peculiar/x509 signs with), stored as PKCS#8 PEM. Loading goes through Node's
 * KeyObject, so a SEC1 key ("EC PRIVATE KEY", as k3s writes) is accepted too.
 */
import crypto from 'node:crypto';

const subtle = crypto.webcrypto.subtle;
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** The algorithm every certificate is signed with. */
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** The key pair of a PEM private key (PKCS#8 or SEC1); throws unless it is an EC P-256 key. */
export async function keyPairFromPem(pem: string): Promise<CryptoKeyPair> {
  const priv = crypto.createPrivateKey(pem);
  if (priv.asymmetricKeyType !== 'ec' || priv.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`not an ECDSA P-256 private key (${priv.asymmetricKeyType ?? 'unknown type'})`);
  }
  const pkcs8 = priv.export({ format: 'der', type: 'pkcs8' });
  const spki = crypto.createPublicKey(priv).export({ format: 'der', type: 'spki' });
  const privateKey = await subtle.importKey('pkcs8', pkcs8, EC, true, ['sign']);
  const publicKey = await subtle.importKey('spki', spki, EC, true, ['verify']);
  return { privateKey, publicKey };
}

/** Whether the PEM private key is the private half of the certificate's public key. */
export function keyMatchesCert(keyPem: string, certPem: string): boolean {
  const pub = crypto.createPublicKey(keyPem).export({ format: 'der', type: 'spki' });
  const certPub = new crypto.X509Certificate(certPem).publicKey.export({ format: 'der', type: 'spki' });
  return pub.equals(certPub);
}
