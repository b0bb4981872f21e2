/**
 * Certificate renewal in a running server, without a restart. Once a day (certpolicy.ts) the
 * server's leaf certificates are checked and those due are re-issued on disk
 * (ensureServerPki), then put in use:
 *
 *   serving        the API listener's TLS context is replaced: new connections get the new cert
 *   kubeletClient  what the API server presents to kubelets, from the next kubelet connection
 *   admin          server/cred/admin.kubeconfig and --write-kubeconfig are rewritten, the
 *                  in-process admin clients (the kubernetes endpoints reconciler) switch
 *   controller-manager, scheduler
 *                  the components' clients open their next session with the new certificate
 *   kubelet        the embedded node's client and serving certificates (memory only)
 *
 * `tsk certificate rotate` reaches a running server through the data dir, which the server
 * holds locked: it drops REQUEST_FILE into server/tls, the server (one writer of its files)
 * re-issues the asked-for leaves whatever their age and answers in RESULT_FILE. CAs are never
 * replaced here: a new CA would orphan every joined node.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { certPolicy } from '../auth/certpolicy.ts';
import { isCertService, pairsOf, type CertService } from '../auth/certservices.ts';
import { readIfExists, writeFileAtomic } from '../auth/files.ts';
import { ensureServerPki, PKI_FILES, type PkiName } from '../auth/serverpki.ts';
import type { ServerConfig } from '../cli/commands.ts';
import type { DataDirLayout } from '../datadir/layout.ts';
import { logger } from '../log/log.ts';
import type { RunningApiServer } from './apiserver.ts';
import type { RunningComponents } from './components.ts';
import { servingSanOptions, writeAdminKubeconfigs } from './credentials.ts';
import type { EmbeddedAgent } from './embedded-agent.ts';

const log = logger('certificates');

export const REQUEST_FILE = 'rotate-request.json';
export const RESULT_FILE = 'rotate-result.json';

export interface RotateRequest {
  id: string;
  services: CertService[];
}

export interface RotateResult {
  id: string;
  /** What was re-issued: pair names (PKI_FILES keys) and `kubelet`. */
  issued: string[];
  error?: string;
}

export interface RotationTargets {
  apiServer: RunningApiServer;
  components: RunningComponents;
  agent?: EmbeddedAgent;
}

export interface CertRotation {
  /** Re-issues what is due, and `force`d services whatever their age; resolves with what was re-issued. */
  check(force?: readonly CertService[]): Promise<string[]>;
  stop(): void;
}

export function startCertRotation(config: ServerConfig, layout: DataDirLayout, targets: RotationTargets): CertRotation {
  const tlsDir = layout.server.tls;
  const running = targets.apiServer.pki;
  let queue: Promise<unknown> = Promise.resolve();

  const put = (issued: readonly PkiName[]) => {
    const pki = running;
    const { api } = targets.apiServer;
    if (issued.includes('serving')) api.server.setTls({ certPem: pki.serving.certPem, keyPem: pki.serving.keyPem, clientCaPem: pki.clientCa.certPem });
    if (issued.includes('kubeletClient')) api.ctx.kubelet = { ca: pki.serverCa.certPem, cert: pki.kubeletClient.certPem, key: pki.kubeletClient.keyPem };
    if (issued.includes('admin')) {
      writeAdminKubeconfigs(config, layout, pki, api.server.address.port);
      for (const client of targets.apiServer.adminClients) client.setClientCertificate(pki.admin.certPem, pki.admin.keyPem);
    }
    if (issued.includes('controllerManager') || issued.includes('scheduler')) {
      targets.components.setIdentities({ controllerManager: pki.controllerManager, scheduler: pki.scheduler });
    }
  };

  const checkNow = async (force: readonly CertService[]): Promise<string[]> => {
    // A CA gone from disk would be created anew by ensureServerPki: not while nodes trust the old one.
    for (const ca of ['serverCa', 'clientCa'] as const) {
      const file = path.join(tlsDir, `${PKI_FILES[ca]}.crt`);
      if (readIfExists(file) !== running[ca].certPem) throw new Error(`${file} is not the CA this server started with; restart the server to use it`);
    }
    const pki = await ensureServerPki(tlsDir, { ...servingSanOptions(config), force: pairsOf(force) });
    const leaves = pki.issued.filter((n) => n !== 'serverCa' && n !== 'clientCa');
    Object.assign(running, { serving: pki.serving, admin: pki.admin, controllerManager: pki.controllerManager, scheduler: pki.scheduler, kubeletClient: pki.kubeletClient, servingSans: pki.servingSans });
    put(leaves);
    const kubelet = (await targets.agent?.renewCertificates(force.includes('kubelet'))) ?? false;
    const issued = [...leaves, ...(kubelet ? ['kubelet'] : [])];
    if (issued.length > 0) log.info(`re-issued and in use: ${issued.join(', ')}`);
    return issued;
  };
  // One check at a time: the timer and a rotate request may meet.
  const check = (force: readonly CertService[] = []): Promise<string[]> => {
    const next = queue.then(() => checkNow(force));
    queue = next.catch(() => {});
    return next;
  };

  const requestFile = path.join(tlsDir, REQUEST_FILE);
  let answering = false;
  const answerRequest = async () => {
    if (answering) return;
    answering = true;
    try {
      const text = readIfExists(requestFile);
      if (text === undefined) return;
      let request: RotateRequest;
      try {
        request = JSON.parse(text) as RotateRequest;
      } catch {
        return; // not all written yet: the rename that completes it brings another event
      }
      const services = (request.services ?? []).filter(isCertService);
      log.info(`rotating certificates on request: ${services.join(', ')}`);
      const result: RotateResult = await check(services).then(
        (issued) => ({ id: request.id, issued }),
        (err: Error) => ({ id: request.id, issued: [], error: err.message }),
      );
      writeFileAtomic(path.join(tlsDir, RESULT_FILE), `${JSON.stringify(result)}\n`, 0o600);
      // Only the request answered: another one written meanwhile stays for the next turn.
      if (readIfExists(requestFile) === text) fs.rmSync(requestFile, { force: true });
    } finally {
      answering = false;
    }
    // A request written while this one was answered.
    if (fs.existsSync(requestFile)) void answerRequest();
  };
  const watcher = fs.watch(tlsDir, (_event, name) => {
    if (name === REQUEST_FILE) void answerRequest();
  });
  watcher.on('error', (err) => log.warn(`watching ${tlsDir} for rotate requests: ${err.message}`));
  void answerRequest();

  const timer = setInterval(() => {
    check().catch((err: Error) => log.error(`certificate check failed: ${err.message}`));
  }, certPolicy().checkIntervalMs);
  timer.unref();
  return {
    check,
    stop: () => {
      clearInterval(timer);
      watcher.close();
    },
  };
}

/** A request id for `tsk certificate rotate`. */
export function requestId(): string {
  return crypto.randomBytes(8).toString('hex');
}
