/**
 * The server's certificates as `tsk certificate` names them. Service names follow k3s's
 * `--service` list where tsk has the same part; `kubelet` is the server's own (embedded)
 * node, whose certificates live in the running server's memory only.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { certPolicy, msLeft, type CertPolicy } from './certpolicy.ts';
import { readIfExists } from './files.ts';
import { PKI_FILES, type PkiName } from './serverpki.ts';

export const CERT_SERVICES = {
  admin: ['admin'],
  'api-server': ['serving', 'kubeletClient'],
  'controller-manager': ['controllerManager'],
  scheduler: ['scheduler'],
  kubelet: [],
} as const satisfies Record<string, readonly PkiName[]>;
export type CertService = keyof typeof CERT_SERVICES;

/** The leaves rotated when no --service is given: all of them. */
export const ALL_SERVICES = Object.keys(CERT_SERVICES) as CertService[];

export function isCertService(name: string): name is CertService {
  return Object.hasOwn(CERT_SERVICES, name);
}

/** The on-disk pairs behind these services. */
export function pairsOf(services: readonly CertService[]): PkiName[] {
  return [...new Set(services.flatMap((s) => CERT_SERVICES[s]))];
}

export interface CertRow {
  file: string;
  subject: string;
  usage: 'CA' | 'serving' | 'client';
  notAfter: Date;
  /** Milliseconds left (negative once expired). */
  left: number;
  status: 'OK' | 'RENEW' | 'EXPIRED' | 'MISSING';
}

const CAS = new Set<PkiName>(['serverCa', 'clientCa']);

/** The server's certificate files and how long each has left, in PKI_FILES order. */
export function describeCerts(tlsDir: string, now = new Date(), policy: CertPolicy = certPolicy()): CertRow[] {
  return (Object.keys(PKI_FILES) as PkiName[]).map((name) => {
    const file = path.join(tlsDir, `${PKI_FILES[name]}.crt`);
    const pem = readIfExists(file);
    const usage = CAS.has(name) ? 'CA' : name === 'serving' ? 'serving' : 'client';
    if (pem === undefined) return { file, subject: '', usage, notAfter: new Date(NaN), left: NaN, status: 'MISSING' };
    const cert = new crypto.X509Certificate(pem);
    const left = msLeft(pem, now);
    // A CA is not renewed automatically, so "RENEW" would promise something that does not happen.
    const status = left <= 0 ? 'EXPIRED' : usage !== 'CA' && left < policy.renewWithinMs ? 'RENEW' : 'OK';
    return { file, subject: cert.subject.replace(/\n/g, ','), usage, notAfter: new Date(cert.validTo), left, status };
  });
}

function residual(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  const abs = Math.abs(ms);
  const text = abs >= 86_400_000 ? `${Math.floor(abs / 86_400_000)}d` : abs >= 3_600_000 ? `${Math.floor(abs / 3_600_000)}h` : `${Math.floor(abs / 1000)}s`;
  return ms < 0 ? `-${text}` : text;
}

/** `tsk certificate check`'s table. */
export function formatCertTable(rows: readonly CertRow[]): string {
  const lines = [['FILENAME', 'SUBJECT', 'USAGE', 'EXPIRES', 'RESIDUAL TIME', 'STATUS']];
  for (const r of rows) {
    const expires = Number.isNaN(r.notAfter.getTime()) ? '-' : r.notAfter.toISOString().replace(/\.\d+Z$/, 'Z');
    lines.push([path.basename(r.file), r.subject || '-', r.usage, expires, residual(r.left), r.status]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
