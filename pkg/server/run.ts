/**
 * `tsk server`: prepares and locks the data dir, opens the datastore, starts the components
 * the configuration asks for, then waits for SIGTERM/SIGINT and stops them in reverse order.
 * Startup failures are thrown (main prints them as one "tsk: " line) after whatever had
 * started is stopped again.
 */
import os from 'node:os';
import type { ServerConfig } from '../cli/commands.ts';
import { VERSION } from '../cli/version.ts';
import { lockDataDir } from '../datadir/lock.ts';
import { prepareDataDir } from '../datadir/layout.ts';
import { openBackend } from '../kv/open.ts';
import { logger, setLogLevel } from '../log/log.ts';
import { startServerApi } from './apiserver.ts';
import { startEtcdFacade } from './etcd.ts';
import { componentsSpec, startComponentsWorker } from './components-worker.ts';
import { startEmbeddedAgent, type EmbeddedAgent } from './embedded-agent.ts';
import { startCertRotation } from './certrotation.ts';
import { kubeconfigServer } from './credentials.ts';
import { startDeploy } from './deploy/start.ts';
import { clusterResetRestore } from '../snapshot/command.ts';
import { startServerSnapshots } from '../snapshot/schedule.ts';
import { joinCluster } from './join.ts';
import { takeNotifySocket } from './notify.ts';
import { onShutdownSignal } from './shutdown.ts';

type Stop = { component: string; stop: () => Promise<void> };

/**
 * How long one component may take to stop before the next one is stopped anyway. A listener
 * that waits for endless streams (watches) must not keep the datastore from closing, since
 * closing it is what makes acknowledged writes durable and releases the files.
 */
const STOP_TIMEOUT_MS = 15_000;

/** Stops in reverse start order; one failing or stuck stop does not keep the others from running. */
async function stopAll(stack: Stop[]): Promise<boolean> {
  let clean = true;
  for (const { component, stop } of stack.reverse()) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
    });
    try {
      const result = await Promise.race([stop().then(() => 'stopped' as const), timeout]);
      if (result === 'timeout') {
        clean = false;
        logger(component).warn(`did not stop within ${STOP_TIMEOUT_MS / 1000} s, going on without it`);
      } else {
        logger(component).info('stopped');
      }
    } catch (err) {
      clean = false;
      logger(component).error(`stop failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  return clean;
}

/** Thrown into startup when a signal arrives before the server is up. */
class Interrupted extends Error {}

export async function runServer(config: ServerConfig): Promise<number> {
  if (config.debug) setLogLevel('debug');
  if (config.clusterResetRestorePath !== undefined) return clusterResetRestore(config, config.clusterResetRestorePath);
  const log = logger('server');
  // Signals are taken over first so that a SIGTERM during startup still shuts down cleanly.
  const signal = onShutdownSignal(log);
  // Before anything starts a child process (the embedded agent's containerd).
  const notifier = takeNotifySocket();
  const interrupted = signal.received.then((): never => {
    throw new Interrupted();
  });
  interrupted.catch(() => {});
  /**
   * A startup step that can wait forever (an unreachable etcd is retried, not failed) gives way
   * to the first signal; whatever it opens afterwards is closed again.
   */
  const step = <T>(pending: Promise<T>, closeLate?: (value: T) => Promise<void>): Promise<T> =>
    Promise.race([pending, interrupted]).catch((err: unknown) => {
      if (err instanceof Interrupted && closeLate) pending.then(closeLate).catch(() => {});
      throw err;
    });
  const stack: Stop[] = [];
  try {
    log.info(`tsk ${VERSION} (node ${process.version}) starting, data dir ${config.dataDir}${config.configFile ? `, config ${config.configFile}` : ''}`);
    const layout = prepareDataDir(config.dataDir, { server: true, agent: config.agent !== undefined });
    const lock = await lockDataDir(layout.root);
    stack.push({ component: 'datadir', stop: () => lock.release() });
    logger('datadir').info(`locked ${layout.root}`);

    const target = config.datastore.kind === 'sqlite' ? `sqlite ${config.datastore.file}` : `etcd ${config.datastore.endpoints.join(',')}`;
    logger('kv').info(`opening ${target}`);
    const backend = await step(openBackend({
      endpoint: config.datastoreEndpoint,
      dataDir: config.dataDir,
      volatilePrefixes: config.datastoreVolatilePrefixes,
      checkpointIntervalMs: config.datastoreCheckpointIntervalMs,
    }), (b) => b.close());
    // close() finishes in-flight commits and ends watches, so it is the last thing to stop.
    stack.push({ component: 'kv', stop: () => backend.close() });
    logger('kv').info(`opened ${backend.name}`);
    if (config.datastore.kind === 'sqlite' && config.datastoreVolatilePrefixes.length > 0) {
      const every = Math.round(config.datastoreCheckpointIntervalMs / 1000);
      logger('kv').info(`volatile keys (in memory, checkpointed every ${every}s): ${config.datastoreVolatilePrefixes.join(' ')}`);
    }

    const snapshots = await startServerSnapshots(backend, { ...config.snapshots, dbDir: layout.server.db, node: config.agent?.nodeName ?? os.hostname().toLowerCase(), disableSchedule: config.snapshots.disable });
    stack.push({ component: 'snapshot', stop: () => snapshots.stop() });

    if (config.etcdListenClientUrl !== undefined) {
      const facade = await step(startEtcdFacade(backend, config.etcdListenClientUrl), (f) => f.close());
      stack.push({ component: 'etcdapi', stop: () => facade.close() });
      logger('etcdapi').info(`serving the etcd v3 API on ${facade.address}`);
    }
    // --server: this server joins another's cluster (its CAs and keys, fetched at the first start).
    const joined = await step(joinCluster(config, layout));
    const apiServer = await step(startServerApi(joined, layout, backend), (a) => a.close());
    stack.push({ component: 'apiserver', stop: () => apiServer.close() });
    const components = startComponentsWorker(componentsSpec(config, apiServer.pki, kubeconfigServer(config, apiServer.api.server.address.port)));
    stack.push({ component: 'components', stop: () => components.stop() });
    const deploy = await step(startDeploy({
      folder: layout.server.manifests,
      disables: config.disable,
      apiUrl: kubeconfigServer(config, apiServer.api.server.address.port),
      caPem: apiServer.pki.serverCa.certPem,
      clientCa: apiServer.pki.clientCa,
      clusterDns: config.clusterDns,
    }), (d) => d.stop());
    stack.push({ component: 'deploy', stop: () => deploy.stop() });
    process.stdout.write(`${apiServer.joinToken}\n`);
    let agent: EmbeddedAgent | undefined;
    if (config.agent !== undefined) {
      const started = await step(startEmbeddedAgent(config, config.agent, layout, apiServer.pki, kubeconfigServer(config, apiServer.api.server.address.port)), (a) => a.stop());
      stack.push({ component: 'agent', stop: () => started.stop() });
      agent = started;
    }
    const certificates = startCertRotation(config, layout, { apiServer, components, agent });
    stack.push({ component: 'certificates', stop: async () => certificates.stop() });
    log.info('started');
    void notifier.ready();
  } catch (err) {
    const clean = await stopAll(stack);
    signal.dispose();
    if (err instanceof Interrupted) {
      log.info('stopped during startup');
      return clean ? 0 : 1;
    }
    log.debug(`startup failed: ${(err as Error).stack ?? String(err)}`);
    throw err;
  }

  await signal.received;
  const clean = await stopAll(stack);
  signal.dispose();
  log.info(clean ? 'shut down cleanly' : 'shut down with errors');
  return clean ? 0 : 1;
}
