/**
 * The server's PKI in DATA_DIR/server/tls, created on first start and reused after, in k3s's
 * split: server-ca signs serving certificates, client-ca signs client certificates.
 *
 *   server-ca.crt/.key                 CA of serving certs; its PEM's hash is in the join token
 *   client-ca.crt/.key                 CA the API server trusts for client certificates
 *   serving-kube-apiserver.crt/.key    the API server's serving certificate
 *   client-admin.crt/.key              CN=system:admin, O=system:masters
 *   client-kube-apiserver.crt/.key     CN=kube-apiserver-kubelet-client: the API server towards kubelets
 *
 * A CA is never replaced: one that exists without its key (or with a key not its own) is an
 * error, since a new CA would orphan every joined node. A leaf is re-issued when it is missing,
 * not signed by its CA, not matching its key, due for renewal (certpolicy.ts: 90 days before
 * expiry), asked for (`force`: `tsk certificate rotate`), or (serving) lacking a wanted SAN;
 * the names a readable serving certificate of this CA already had are kept, so an address is
 * never dropped. Renewal makes a new key too (k3s reuses the key when renewing).
 */
import fs from 'node:fs';
import path from 'node:path';
import { certPolicy, isDue, type CertPolicy } from './certpolicy.ts';
import { readIfExists, writeFileAtomic } from './files.ts';
import { keyMatchesCert } from './keys.ts';
import { certSans, createCa, isSignedBy, issueClientCert, issueServingCert, type CertKey } from './pki.ts';
import { missingSans, wantedServingSans, type SanSet, type ServingSanOptions } from './sans.ts';

export const ADMIN_USER = 'system:admin';
export const ADMIN_GROUP = 'system:masters';
export const SERVING_CN = 'kube-apiserver';
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';
export const SCHEDULER_USER = 'system:kube-scheduler';
/** The API server's identity towards kubelets (logs, exec, port-forward); kubelets serve only it and system:masters. */
export const KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';

export const PKI_FILES = {
  serverCa: 'server-ca',
  clientCa: 'client-ca',
  serving: 'serving-kube-apiserver',
  admin: 'client-admin',
  controllerManager: 'client-controller',
  scheduler: 'client-scheduler',
  kubeletClient: 'client-kube-apiserver',
} as const;
export type PkiName = keyof typeof PKI_FILES;

export interface ServerPki {
  serverCa: CertKey;
  clientCa: CertKey;
  serving: CertKey;
  admin: CertKey;
  /** system:kube-controller-manager and system:kube-scheduler, for the in-process components. */
  controllerManager: CertKey;
  scheduler: CertKey;
  /** The API server's client certificate for kubelets' HTTPS APIs. */
  kubeletClient: CertKey;
  /** The SANs of the serving certificate now in use. */
  servingSans: SanSet;
  /** What this call created or re-issued (empty when everything was reused). */
  issued: PkiName[];
  /** Paths of each pair's files. */
  files: Record<PkiName, { cert: string; key: string }>;
}

function pairFiles(tlsDir: string, name: PkiName): { cert: string; key: string } {
  const base = path.join(tlsDir, PKI_FILES[name]);
  return { cert: `${base}.crt`, key: `${base}.key` };
}

function readPair(tlsDir: string, name: PkiName): Partial<CertKey> {
  const f = pairFiles(tlsDir, name);
  return { certPem: readIfExists(f.cert), keyPem: readIfExists(f.key) };
}

function writePair(tlsDir: string, name: PkiName, pair: CertKey): void {
  const f = pairFiles(tlsDir, name);
  // Key first: a crash in between leaves a cert that does not match, which is re-issued.
  writeFileAtomic(f.key, pair.keyPem, 0o600);
  writeFileAtomic(f.cert, pair.certPem, 0o644);
}

async function ensureCa(tlsDir: string, name: 'serverCa' | 'clientCa', issued: PkiName[]): Promise<CertKey> {
  const { certPem, keyPem } = readPair(tlsDir, name);
  const f = pairFiles(tlsDir, name);
  if (certPem === undefined && keyPem === undefined) {
    const ca = await createCa(name === 'serverCa' ? 'tsk-server-ca' : 'tsk-client-ca');
    writePair(tlsDir, name, ca);
    issued.push(name);
    return ca;
  }
  if (certPem === undefined || keyPem === undefined) {
    throw new Error(`${certPem === undefined ? f.cert : f.key} is missing while ${certPem === undefined ? f.key : f.cert} exists; restore it or remove both to create a new CA`);
  }
  if (!keyMatchesCert(keyPem, certPem)) throw new Error(`${f.key} is not the key of ${f.cert}`);
  return { certPem, keyPem };
}

/** Why an existing leaf must be re-issued, or undefined if it is fine. */
export function leafProblem(pair: Partial<CertKey>, ca: CertKey, now: Date, policy: CertPolicy = certPolicy()): string | undefined {
  if (pair.certPem === undefined || pair.keyPem === undefined) return 'missing';
  try {
    if (!isSignedBy(pair.certPem, ca.certPem)) return 'not signed by the CA';
    if (!keyMatchesCert(pair.keyPem, pair.certPem)) return 'key does not match';
    if (isDue(pair.certPem, now, policy)) return 'expiring';
  } catch {
    return 'unreadable';
  }
  return undefined;
}

/** The SANs of a serving certificate worth keeping: a readable one signed by this CA. */
function keptSans(pair: Partial<CertKey>, ca: CertKey): SanSet | undefined {
  if (pair.certPem === undefined) return undefined;
  try {
    return isSignedBy(pair.certPem, ca.certPem) ? certSans(pair.certPem) : undefined;
  } catch {
    return undefined;
  }
}

export interface EnsureServerPkiOptions extends ServingSanOptions {
  now?: Date;
  /** Leaves re-issued whatever their state (`tsk certificate rotate`). */
  force?: readonly PkiName[];
  policy?: CertPolicy;
  /** The serving names, instead of those the options above make (`tsk certificate rotate` does not know the server's flags). */
  servingNames?: SanSet;
}

/** Loads the PKI from `tlsDir` (0700, created if missing), creating or re-issuing what is needed. */
export async function ensureServerPki(tlsDir: string, opts: EnsureServerPkiOptions = {}): Promise<ServerPki> {
  const now = opts.now ?? new Date();
  fs.mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
  const issued: PkiName[] = [];
  const serverCa = await ensureCa(tlsDir, 'serverCa', issued);
  const clientCa = await ensureCa(tlsDir, 'clientCa', issued);

  const policy = opts.policy ?? certPolicy();
  const forced = new Set(opts.force ?? []);
  const want = opts.servingNames ?? wantedServingSans(opts);
  let serving = readPair(tlsDir, 'serving');
  // The names to issue with: the wanted ones plus any the current certificate already had.
  let names = want;
  const have = keptSans(serving, serverCa);
  const missing = have ? missingSans(want, have) : undefined;
  if (have && missing) names = { dnsNames: [...have.dnsNames, ...missing.dnsNames], ips: [...have.ips, ...missing.ips] };
  if (forced.has('serving') || leafProblem(serving, serverCa, now, policy) !== undefined || !missing || missing.dnsNames.length > 0 || missing.ips.length > 0) {
    serving = {};
  }
  if (serving.certPem === undefined || serving.keyPem === undefined) {
    const pair = await issueServingCert(serverCa, { commonName: SERVING_CN, ...names, now });
    const got = missingSans(names, certSans(pair.certPem));
    if (got.dnsNames.length > 0 || got.ips.length > 0) {
      throw new Error(`serving certificate lacks ${[...got.dnsNames, ...got.ips].join(', ')} after issuing`);
    }
    writePair(tlsDir, 'serving', pair);
    issued.push('serving');
    serving = pair;
  }

  const client = async (name: 'admin' | 'controllerManager' | 'scheduler' | 'kubeletClient', commonName: string, groups: string[]): Promise<CertKey> => {
    let pair = readPair(tlsDir, name);
    if (forced.has(name) || leafProblem(pair, clientCa, now, policy) !== undefined) {
      pair = await issueClientCert(clientCa, { commonName, groups, now });
      writePair(tlsDir, name, pair as CertKey);
      issued.push(name);
    }
    return pair as CertKey;
  };
  const admin = await client('admin', ADMIN_USER, [ADMIN_GROUP]);
  const controllerManager = await client('controllerManager', CONTROLLER_MANAGER_USER, []);
  const scheduler = await client('scheduler', SCHEDULER_USER, []);
  const kubeletClient = await client('kubeletClient', KUBELET_CLIENT_USER, []);

  const files = Object.fromEntries(
    (Object.keys(PKI_FILES) as PkiName[]).map((n) => [n, pairFiles(tlsDir, n)]),
  ) as ServerPki['files'];
  return {
    serverCa,
    clientCa,
    serving: serving as CertKey,
    admin,
    controllerManager,
    scheduler,
    kubeletClient,
    servingSans: certSans(serving.certPem!),
    issued,
    files,
  };
}
