/**
 * `tsk certificate check` lists the server's certificates and their expiry; `tsk certificate
 * rotate [--service NAME…]` re-issues leaf certificates now. k3s wants the server stopped for
 * a rotate; here a stopped server's files are re-issued directly, and a running server (it
 * holds the data dir's lock) is asked through server/tls (certrotation.ts), so it stays the
 * one writer of its files and switches to the new certificates without a restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ALL_SERVICES, describeCerts, formatCertTable, isCertService, pairsOf, type CertService } from '../auth/certservices.ts';
import { readIfExists, writeFileAtomic } from '../auth/files.ts';
import { certSans } from '../auth/pki.ts';
import { ensureServerPki, PKI_FILES } from '../auth/serverpki.ts';
import type { CertificateConfig } from '../cli/commands.ts';
import { DataDirError } from '../datadir/errors.ts';
import { dataDirLayout } from '../datadir/layout.ts';
import { lockDataDir, type DataDirLock } from '../datadir/lock.ts';
import { REQUEST_FILE, requestId, RESULT_FILE, type RotateRequest, type RotateResult } from './certrotation.ts';

/** How long a rotate waits for a running server's answer (it re-issues in well under a second). */
const ANSWER_TIMEOUT_MS = 60_000;
const POLL_MS = 100;

export class CertificateCommandError extends Error {
  constructor(readonly code: 'no-pki' | 'no-answer' | 'refused', message: string) {
    super(message);
    this.name = 'CertificateCommandError';
  }
}

export interface CertificateIo {
  stdout(text: string): void;
}

export async function runCertificate(config: CertificateConfig, io: CertificateIo = { stdout: (t) => process.stdout.write(t) }): Promise<number> {
  const tlsDir = dataDirLayout(config.dataDir).server.tls;
  if (!fs.existsSync(path.join(tlsDir, `${PKI_FILES.serverCa}.crt`))) {
    throw new CertificateCommandError('no-pki', `no server certificates in ${tlsDir}: has "tsk server --data-dir ${config.dataDir}" run?`);
  }
  if (config.command === 'certificate check') {
    io.stdout(formatCertTable(describeCerts(tlsDir)));
    return 0;
  }
  const services = config.services.length > 0 ? config.services.filter(isCertService) : ALL_SERVICES;
  let issued: string[];
  let lock: DataDirLock | undefined;
  try {
    lock = await lockDataDir(config.dataDir);
  } catch (err) {
    if (!(err instanceof DataDirError) || err.code !== 'in-use') throw err;
  }
  if (lock) {
    try {
      issued = await rotateOnDisk(tlsDir, services);
    } finally {
      await lock.release();
    }
  } else {
    issued = await askRunningServer(tlsDir, services);
  }
  io.stdout(`re-issued: ${issued.length > 0 ? issued.join(', ') : 'nothing'}\n`);
  if (!lock) io.stdout('the running server uses them now\n');
  else io.stdout(`the server uses them from its next start${services.includes('kubelet') ? ' (its own node\'s kubelet certificates are issued at every start anyway)' : ''}\n`);
  io.stdout(formatCertTable(describeCerts(tlsDir)));
  return 0;
}

/** No server running: re-issue the files, keeping the serving certificate's names as they are. */
async function rotateOnDisk(tlsDir: string, services: readonly CertService[]): Promise<string[]> {
  const serving = readIfExists(path.join(tlsDir, `${PKI_FILES.serving}.crt`));
  const pki = await ensureServerPki(tlsDir, { force: pairsOf(services), servingNames: serving ? certSans(serving) : undefined });
  return pki.issued;
}

async function askRunningServer(tlsDir: string, services: readonly CertService[]): Promise<string[]> {
  const request: RotateRequest = { id: requestId(), services: [...services] };
  writeFileAtomic(path.join(tlsDir, REQUEST_FILE), `${JSON.stringify(request)}\n`, 0o600);
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = readIfExists(path.join(tlsDir, RESULT_FILE));
    const result = text ? (JSON.parse(text) as RotateResult) : undefined;
    if (result?.id === request.id) {
      if (result.error) throw new CertificateCommandError('refused', `the running server did not rotate: ${result.error}`);
      return result.issued;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  fs.rmSync(path.join(tlsDir, REQUEST_FILE), { force: true });
  throw new CertificateCommandError('no-answer', `the data dir is in use but nothing answered the rotate request within ${ANSWER_TIMEOUT_MS / 1000} s: is the process holding it a "tsk server" of this version?`);
}
