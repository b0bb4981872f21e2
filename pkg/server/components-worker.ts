/**
 * The components' worker thread. The parent sends "stop", or renewed client certificates
 * ({ identities }); at "stop" the worker lets go of the components' Leases, then exits. A worker that dies is
 * started again (the components are stateless: they relist), as a supervisor would restart
 * kube-controller-manager.
 *
 * Where the worker's code comes from: in the single executable, the bundle carries its own
 * script as an asset (scripts/build.ts) and the worker evaluates it; from source, the worker
 * loads cmd/tsk/main.ts through the same loader (tsx) as the parent. Either way it enters
 * through cmd/tsk/main.ts, which sees `workerData.role` and calls runComponentsWorker.
 */
import sea from 'node:sea';
import { parentPort, Worker } from 'node:worker_threads';
import type { ServerPki } from '../auth/serverpki.ts';
import type { ServerConfig } from '../cli/commands.ts';
import { logger, logLevel, setLogLevel, type LogLevel } from '../log/log.ts';
import { runComponents, type ComponentIdentities, type ComponentsSpec, type RunningComponents } from './components.ts';

/** The SEA asset holding the bundle itself; scripts/build.ts adds it. */
export const SELF_ASSET = 'tsk.cjs';
export const COMPONENTS_ROLE = 'tsk-components';

const log = logger('components');
const RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
const STOP_GRACE_MS = 15_000;

interface WorkerInput {
  role: typeof COMPONENTS_ROLE;
  spec: ComponentsSpec;
  logLevel: LogLevel;
}

export function componentsSpec(config: ServerConfig, pki: ServerPki, apiUrl: string): ComponentsSpec {
  return {
    apiUrl,
    caPem: pki.serverCa.certPem,
    controllerManager: config.disableControllerManager ? undefined : {
      identity: pki.controllerManager,
      config: {
        clusterCidr: config.clusterCidr,
        serviceCidr: config.serviceCidr,
        nodeMonitorGracePeriodMs: config.nodeMonitorGracePeriodMs,
        defaultNotReadyTolerationSeconds: config.defaultNotReadyTolerationSeconds,
        defaultUnreachableTolerationSeconds: config.defaultUnreachableTolerationSeconds,
        rootCaPem: pki.serverCa.certPem,
        clusterDns: config.clusterDns,
        disabled: [
          ...(config.disable.includes('servicelb') ? ['service-lb-controller'] : []),
          ...(config.disable.includes('coredns') ? ['cluster-dns-controller'] : []),
          ...(config.disable.includes('local-storage') ? ['local-path-provisioner'] : []),
        ],
      },
    },
    scheduler: config.disableScheduler ? undefined : { identity: pki.scheduler },
  };
}

function spawn(input: WorkerInput): Worker {
  if (sea.isSea()) return new Worker(sea.getAsset(SELF_ASSET, 'utf8'), { eval: true, workerData: input });
  // From source: `--import tsx` does not give a worker its loader, so the worker registers it.
  // Profiling flags pass on, so `node --cpu-prof` profiles the components too.
  const main = new URL('../../cmd/tsk/main.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(main)}); });`;
  const execArgv = process.execArgv.filter((arg) => arg.startsWith('--cpu-prof'));
  return new Worker(bootstrap, { eval: true, workerData: input, execArgv });
}

/** Starts the components on a worker thread; nothing to do when both are disabled. */
export function startComponentsWorker(spec: ComponentsSpec): RunningComponents {
  if (!spec.controllerManager && !spec.scheduler) return { setIdentities: () => {}, stop: async () => {} };
  let stopping = false;
  let worker: Worker;
  let restartTimer: NodeJS.Timeout | undefined;
  let delay = RESTART_DELAY_MS;
  const start = () => {
    const started = Date.now();
    worker = spawn({ role: COMPONENTS_ROLE, spec, logLevel: logLevel() });
    worker.on('error', (err) => log.error(`worker failed: ${err.stack ?? err.message}`));
    worker.on('exit', (code) => {
      if (stopping) return;
      // A worker that ran a while gets a quick restart; one that keeps dying backs off.
      delay = Date.now() - started > MAX_RESTART_DELAY_MS ? RESTART_DELAY_MS : Math.min(delay * 2, MAX_RESTART_DELAY_MS);
      log.error(`worker exited (code ${code}); starting it again in ${delay} ms`);
      restartTimer = setTimeout(start, delay);
    });
  };
  start();
  return {
    setIdentities: (identities: ComponentIdentities) => {
      // A worker started again later starts with these.
      if (spec.controllerManager) spec.controllerManager.identity = identities.controllerManager;
      if (spec.scheduler) spec.scheduler.identity = identities.scheduler;
      if (worker.threadId !== -1) worker.postMessage({ identities });
    },
    stop: async () => {
      stopping = true;
      clearTimeout(restartTimer);
      const current = worker;
      if (current.threadId === -1) return;
      const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      current.postMessage('stop');
      const timer = setTimeout(() => void current.terminate(), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The worker's side: runs the components until the parent says stop. */
export function runComponentsWorker(input: WorkerInput): void {
  setLogLevel(input.logLevel);
  const running = runComponents(input.spec);
  parentPort!.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && 'identities' in message) {
      running.setIdentities((message as { identities: ComponentIdentities }).identities);
      return;
    }
    if (message !== 'stop') return;
    void running.stop().finally(() => process.exit(0));
  });
}

export function isComponentsWorkerInput(data: unknown): data is WorkerInput {
  return typeof data === 'object' && data !== null && (data as { role?: unknown }).role === COMPONENTS_ROLE;
}
