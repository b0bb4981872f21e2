/**
 * `tsk server`'s side of auto-deployed manifests: stages the packaged add-ons, then runs the
 * deploy controller on the main thread as its own user, system:tsk-deploy in group
 * system:masters (it applies whatever the folder holds, as cluster-admin would; k3s's deploy
 * controller writes with the supervisor's admin credentials). The certificate is issued in
 * memory from the client CA, since only this process ever presents it, and renewed under the
 * same policy as the server's other leaves (certpolicy.ts): the client opens its next session
 * with the new one, no restart.
 */
import { certPolicy, isDue } from '../../auth/certpolicy.ts';
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

const issue = (ca: CertKey) => issueClientCert(ca, { commonName: DEPLOY_USER, groups: [DEPLOY_GROUP] });

export async function startDeploy(options: DeployOptions): Promise<RunningDeploy> {
  const staged = stagePackagedManifests(options.folder, options, options.disables);
  log.info(`packaged add-ons: ${staged.length > 0 ? staged.join(', ') : 'none'}${options.disables.length > 0 ? ` (disabled: ${options.disables.join(', ')})` : ''}`);
  let identity = await issue(options.clientCa);
  const client = new Client({ server: options.apiUrl, ca: options.caPem, cert: identity.certPem, key: identity.keyPem }, { userAgent: 'tsk-deploy' });
  const controller = new DeployController(client, new ApiDeployCluster(client, new EventRecorder(client, { component: 'tsk-deploy' })), { folder: options.folder, disables: options.disables });
  controller.start();
  log.info(`watching ${options.folder} (applies while this server holds the kube-system/tsk-deploy Lease)`);

  const renew = setInterval(() => {
    if (!isDue(identity.certPem, new Date())) return;
    issue(options.clientCa).then((next) => {
      identity = next;
      client.setClientCertificate(next.certPem, next.keyPem);
      log.info(`renewed the ${DEPLOY_USER} client certificate`);
    }).catch((err: unknown) => log.error(`renewing the ${DEPLOY_USER} client certificate failed: ${(err as Error).message}`));
  }, certPolicy().checkIntervalMs);
  renew.unref();
  return {
    stop: async () => {
      clearInterval(renew);
      await controller.stop();
      client.close();
    },
  };
}
