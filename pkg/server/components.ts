/**
 * The control-plane components that are API clients of this server: the controller manager
 * and the scheduler. They run in the server's process, as in k3s, but talk to the API over
 * loopback HTTP/2 with their own client certificates (system:kube-controller-manager,
 * system:kube-scheduler), so RBAC and audit see them as Kubernetes would.
 */
import type { ServerConfig } from '../cli/commands.ts';
import type { ServerPki } from '../auth/serverpki.ts';
import { Client } from '../client/client.ts';
import { builtinControllers } from '../controllers/index.ts';
import { ControllerManager } from '../controllers/manager.ts';
import { logger } from '../log/log.ts';
import { Scheduler } from '../scheduler/scheduler.ts';

export interface RunningComponents {
  stop(): Promise<void>;
}

/** `apiUrl`: where this server's API listens, as loopback (https://127.0.0.1:PORT). */
export function startComponents(config: ServerConfig, pki: ServerPki, apiUrl: string): RunningComponents {
  const stops: (() => Promise<void>)[] = [];
  const clientAs = (pair: { certPem: string; keyPem: string }, userAgent: string) =>
    new Client({ server: apiUrl, ca: pki.serverCa.certPem, cert: pair.certPem, key: pair.keyPem }, { userAgent });
  if (!config.disableControllerManager) {
    const manager = new ControllerManager(clientAs(pki.controllerManager, 'tsk-controller-manager'), {
      clusterCidr: config.clusterCidr,
      serviceCidr: config.serviceCidr,
      nodeMonitorGracePeriodMs: config.nodeMonitorGracePeriodMs,
      defaultNotReadyTolerationSeconds: config.defaultNotReadyTolerationSeconds,
      defaultUnreachableTolerationSeconds: config.defaultUnreachableTolerationSeconds,
      rootCaPem: pki.serverCa.certPem,
    }, builtinControllers);
    manager.start();
    stops.push(() => manager.stop());
    logger('controller-manager').info('started (acts while it holds the kube-system/kube-controller-manager Lease)');
  }
  if (!config.disableScheduler) {
    const scheduler = new Scheduler(clientAs(pki.scheduler, 'tsk-scheduler'), {});
    scheduler.start();
    stops.push(() => scheduler.stop());
    logger('scheduler').info('started (acts while it holds the kube-system/kube-scheduler Lease)');
  }
  return {
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
