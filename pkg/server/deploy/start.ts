/**
 * `tsk server`'s side of auto-deployed manifests: stages the packaged add-ons, then runs the
 * deploy controller on the main thread as its own user, system:tsk-deploy in group
 * system:masters (it applies whatever the folder holds, as cluster-admin would; k3s's deploy
 * controller writes with the supervisor's admin credentials). The certificate is issued in
 * memory from the client CA at start and again before it expires; nothing is written to disk,
 * since only this process ever presents it.
 */
import crypto from 'node:crypto';
import type { CertKey } from '../../auth/pki.ts';
import { issueClientCert } from '../../auth/pki.ts';
import { Client } from '../../client/client.ts';
import { EventRecorder } from '../../client/events.ts';
import { logger } from '../../log/log.ts';
import { ApiDeployCluster } from './cluster.ts';
import { DeployController } from './controller.ts';
import { stagePackagedManifests, type PackagedValues } from './packaged.ts';

export const DEPLOY_USER = 'system:tsk-deploy';
const DEPLOY_GROUP = 'system:masters';
/** setTimeout's limit; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const log = logger('deploy');

export interface DeployOptions extends PackagedValues {
  folder: string;
  disables: readonly string[];
  apiUrl: string;
  caPem: string;
  clientCa: CertKey;
}

export interface RunningDeploy {
  stop(): Promise<void>;
}

export async function startDeploy(options: DeployOptions): Promise<RunningDeploy> {
  const staged = stagePackagedManifests(options.folder, options, options.disables);
  log.info(`packaged add-ons: ${staged.length > 0 ? staged.join(', ') : 'none'}${options.disables.length > 0 ? ` (disabled: ${options.disables.join(', ')})` : ''}`);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: { controller: DeployController; client: Client } | undefined;

  const run = async (): Promise<void> => {
    const identity = await issueClientCert(options.clientCa, { commonName: DEPLOY_USER, groups: [DEPLOY_GROUP] });
    if (stopped) return;
    const client = new Client({ server: options.apiUrl, ca: options.caPem, cert: identity.certPem, key: identity.keyPem }, { userAgent: 'tsk-deploy' });
    const cluster = new ApiDeployCluster(client, new EventRecorder(client, { component: 'tsk-deploy' }));
    const controller = new DeployController(client, cluster, { folder: options.folder, disables: options.disables });
    const previous = current;
    current = { controller, client };
    // The old identity lets go of the Lease first, so the new one takes it at once.
    if (previous) {
      await previous.controller.stop();
      previous.client.close();
    }
    controller.start();
    // Renewed when four fifths of its life have passed.
    const validTo = Date.parse(new crypto.X509Certificate(identity.certPem).validTo);
    let renewAt = Date.now() + (validTo - Date.now()) * 0.8;
    const wait = () => {
      const left = renewAt - Date.now();
      timer = setTimeout(() => (left > MAX_TIMER_MS ? wait() : void run().catch((err: unknown) => log.error(`renewing the deploy identity failed: ${(err as Error).message}`))), Math.min(Math.max(left, 0), MAX_TIMER_MS));
      timer.unref();
    };
    renewAt = Math.max(renewAt, Date.now() + 1000);
    wait();
  };
  await run();
  log.info(`watching ${options.folder} (applies while this server holds the kube-system/tsk-deploy Lease)`);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      const c = current;
      current = undefined;
      if (c) {
        await c.controller.stop();
        c.client.close();
      }
    },
  };
}
