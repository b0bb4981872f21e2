/**
 * The control-plane components that are API clients of this server: the controller manager
 * and the scheduler. They run in the server's process, as in k3s, but on a worker thread of
 * their own (components-worker.ts), so their informers, decoding and reconciles use the
 * second core instead of queueing behind the API server's requests on the main thread. They
 * talk to the API over loopback HTTP/2 with their own client certificates
 * (system:kube-controller-manager, system:kube-scheduler), so RBAC and audit see them as
 * Kubernetes would — except the informers the two share, which list and watch as the
 * controller manager.
 */
import { Client } from '../client/client.ts';
import { InformerPool } from '../client/factory.ts';
import { builtinControllers } from '../controllers/index.ts';
import { ControllerManager, type ControllerConfig } from '../controllers/manager.ts';
import { logger } from '../log/log.ts';
import { Scheduler } from '../scheduler/scheduler.ts';

export interface RunningComponents {
  /** Renewed client certificates: new connections present them (no restart). */
  setIdentities(identities: ComponentIdentities): void;
  stop(): Promise<void>;
}

interface CertPair {
  certPem: string;
  keyPem: string;
}

export interface ComponentIdentities {
  controllerManager: CertPair;
  scheduler: CertPair;
}

/** Everything the components need, as plain data: it crosses into the worker thread. */
export interface ComponentsSpec {
  /** Where this server's API listens, as loopback (https://127.0.0.1:PORT). */
  apiUrl: string;
  caPem: string;
  /** Undefined: --disable-controller-manager. */
  controllerManager?: { identity: CertPair; config: ControllerConfig };
  /** Undefined: --disable-scheduler. */
  scheduler?: { identity: CertPair };
}

/** Runs the components on the calling thread (the worker's, or a test's). */
export function runComponents(spec: ComponentsSpec): RunningComponents {
  const stops: (() => Promise<void>)[] = [];
  const clients: { role: keyof ComponentIdentities; client: Client }[] = [];
  const clientAs = (pair: CertPair, userAgent: string, role: keyof ComponentIdentities) => {
    const client = new Client({ server: spec.apiUrl, ca: spec.caPem, cert: pair.certPem, key: pair.keyPem }, { userAgent });
    clients.push({ role, client });
    return client;
  };
  // With both here, one list+watch per resource serves the two (pods and nodes would otherwise
  // be decoded and kept twice on this thread); it reads as the controller manager, which may
  // list and watch everything, while each component still writes as itself.
  let pool: InformerPool | undefined;
  if (spec.controllerManager && spec.scheduler) {
    const poolClient = clientAs(spec.controllerManager.identity, 'tsk-controller-manager/informers', 'controllerManager');
    pool = new InformerPool(poolClient);
    stops.push(async () => poolClient.close());
  }
  if (spec.controllerManager) {
    const manager = new ControllerManager(clientAs(spec.controllerManager.identity, 'tsk-controller-manager', 'controllerManager'), spec.controllerManager.config, builtinControllers, { informers: pool });
    manager.start();
    stops.push(() => manager.stop());
    logger('controller-manager').info('started (acts while it holds the kube-system/kube-controller-manager Lease)');
  }
  if (spec.scheduler) {
    const scheduler = new Scheduler(clientAs(spec.scheduler.identity, 'tsk-scheduler', 'scheduler'), { informers: pool });
    scheduler.start();
    stops.push(() => scheduler.stop());
    logger('scheduler').info('started (acts while it holds the kube-system/kube-scheduler Lease)');
  }
  return {
    setIdentities: (identities) => {
      for (const { role, client } of clients) client.setClientCertificate(identities[role].certPem, identities[role].keyPem);
    },
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}
