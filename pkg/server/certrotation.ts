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
import { ensureServerPki, PKI_FILES, type ServerPki } from '../auth/serverpki.ts';
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

/** The leaves a running server holds in memory, in the order ensureServerPki issues them. */
const LEAVES = ['serving', 'admin', 'controllerManager', 'scheduler', 'kubeletClient'] as const;
type Leaf = (typeof LEAVES)[number];

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
  /**
   * Re-issues what is due, and `force`d services whatever their age, and puts into use every
   * leaf on disk that is not yet (also one an earlier, failed pass wrote); resolves with those.
   */
  check(force?: readonly CertService[]): Promise<string[]>;
  stop(): void;
}

export function startCertRotation(config: ServerConfig, layout: DataDirLayout, targets: RotationTargets): CertRotation {
  const tlsDir = layout.server.tls;
  // The leaves in use: put() replaces one here only once it is in use.
  const running = targets.apiServer.pki;
  let queue: Promise<unknown> = Promise.resolve();

  /**
   * Puts into use each leaf of `disk` that differs from the one in use, and records it as in
   * use only once that worked. What to put is decided by comparing, not by what this pass
   * re-issued: a pass that wrote a leaf and then failed (a later write, a kubeconfig) leaves
   * nothing due for the next one, which must still put the leaf into use before the old one
   * expires. A failed step is retried on the next pass; the other steps go ahead meanwhile.
   */
  const put = (disk: ServerPki): { inUse: Leaf[]; errors: string[] } => {
    const { api } = targets.apiServer;
    const changed = LEAVES.filter((n) => disk[n].certPem !== running[n].certPem);
    const inUse: Leaf[] = [];
    const errors: string[] = [];
    const step = (names: readonly Leaf[], use: () => void) => {
      const due = names.filter((n) => changed.includes(n));
      if (due.length === 0) return;
      try {
        use();
      } catch (err) {
        errors.push(`putting ${due.join(', ')} into use: ${(err as Error).message}`);
        return;
      }
      for (const n of due) running[n] = disk[n];
      inUse.push(...due);
    };
    step(['serving'], () => {
      api.server.setTls({ certPem: disk.serving.certPem, keyPem: disk.serving.keyPem, clientCaPem: running.clientCa.certPem });
      running.servingSans = disk.servingSans;
    });
    step(['kubeletClient'], () => {
      api.ctx.kubelet = { ca: running.serverCa.certPem, cert: disk.kubeletClient.certPem, key: disk.kubeletClient.keyPem };
    });
    step(['admin'], () => {
      // In-process clients first: they need not wait for a kubeconfig that cannot be written.
      for (const client of targets.apiServer.adminClients) client.setClientCertificate(disk.admin.certPem, disk.admin.keyPem);
      writeAdminKubeconfigs(config, layout, { ...running, admin: disk.admin }, api.server.address.port);
    });
    step(['controllerManager', 'scheduler'], () => {
      targets.components.setIdentities({ controllerManager: disk.controllerManager, scheduler: disk.scheduler });
    });
    return { inUse: LEAVES.filter((n) => inUse.includes(n)), errors };
  };

  const checkNow = async (force: readonly CertService[]): Promise<string[]> => {
    // A CA gone from disk would be created anew by ensureServerPki: not while nodes trust the old one.
    for (const ca of ['serverCa', 'clientCa'] as const) {
      const file = path.join(tlsDir, `${PKI_FILES[ca]}.crt`);
      if (readIfExists(file) !== running[ca].certPem) throw new Error(`${file} is not the CA this server started with; restart the server to use it`);
    }
    const disk = await ensureServerPki(tlsDir, { ...servingSanOptions(config), force: pairsOf(force) });
    const { inUse, errors } = put(disk);
    let kubelet = false;
    try {
      kubelet = (await targets.agent?.renewCertificates(force.includes('kubelet'))) ?? false;
    } catch (err) {
      errors.push(`renewing the embedded node's certificates: ${(err as Error).message}`);
    }
    const issued = [...inUse, ...(kubelet ? ['kubelet'] : [])];
    if (issued.length > 0) log.info(`re-issued and in use: ${issued.join(', ')}`);
    if (errors.length > 0) throw new Error(errors.join('; '));
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
