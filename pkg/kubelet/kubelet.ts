/**
 * The kubelet as one piece: node registration and heartbeat (NodeAgent), pod volumes and
 * environments, and the pod workers (PodManager), over one API client with the node's
 * identity and one CRI runtime. The agent (pkg/agent/run.ts) brings the runtime and the
 * credentials; this file only assembles.
 */
import path from 'node:path';
import { NAMESPACE_INDEX, byNamespace } from '../client/factory.ts';
import type { Client } from '../client/client.ts';
import { EventRecorder } from '../client/events.ts';
import { Informer } from '../client/informer.ts';
import type { KObject } from '../api/types.ts';
import type { CriClient } from '../cri/client.ts';
import { logger } from '../log/log.ts';
import { EnvResolver } from './env.ts';
import { NodeAgent } from './node/agent.ts';
import type { Readiness } from './node/status.ts';
import { PodManager } from './pods/manager.ts';
import { podsFromApi } from './server/apipods.ts';
import { startKubeletServer, type KubeletServer } from './server/server.ts';
import { VolumeManager } from './volumes/manager.ts';
import { ClientObjectReader } from './volumes/objects.ts';
import { ClientTokenSource } from './volumes/tokens.ts';
import { LocalPathCleaner } from './volumes/localpath.ts';
import { STORAGE_SUBDIR } from '../controllers/localpath/volume.ts';

const log = logger('kubelet');

export interface KubeletOptions {
  client: Client;
  runtime: CriClient;
  nodeName: string;
  nodeIp?: string;
  nodeLabels?: string[];
  nodeTaints?: string[];
  /** The server's embedded agent (control-plane role labels). */
  controlPlane?: boolean;
  kubeletPort?: number;
  /** DATA_DIR/agent: pods' volumes and logs live below it. */
  agentDir: string;
  clusterDns: string;
  clusterDomain: string;
  /** Extra readiness besides the runtime's own (the pod network's config, say). */
  networkReadiness?: () => Readiness;
  /** The HTTPS API's certificate (without it the API is not served) and the CA of its callers. */
  serving?: { cert: string; key: string };
  clientCa?: string;
}

export interface RunningKubelet {
  node: NodeAgent;
  /** The HTTPS API serves new connections with this certificate (a renewed one). */
  setServing(serving: { cert: string; key: string }): void;
  stop(): Promise<void>;
}

/** CRI Status: the runtime's RuntimeReady and NetworkReady conditions, as kubelet reads them. */
async function runtimeReadiness(runtime: CriClient, extra?: () => Readiness): Promise<Readiness> {
  try {
    const answer = await runtime.status({});
    const problems = (answer.status?.conditions ?? [])
      .filter((c) => (c.type === 'RuntimeReady' || c.type === 'NetworkReady') && !c.status)
      .map((c) => `${c.type}=false reason:${c.reason} message:${c.message}`);
    if (problems.length > 0) return { ready: false, message: `container runtime not ready: ${problems.join(', ')}` };
  } catch (err) {
    return { ready: false, message: `container runtime is down: ${(err as Error).message}` };
  }
  return extra?.() ?? { ready: true };
}

export async function startKubelet(options: KubeletOptions): Promise<RunningKubelet> {
  const { client, runtime } = options;
  // DATA_DIR/storage: local-path volumes (k3s: /var/lib/rancher/k3s/storage).
  const storageDir = path.join(path.dirname(options.agentDir), STORAGE_SUBDIR);
  const node = new NodeAgent({
    client,
    nodeName: options.nodeName,
    dataDir: options.agentDir,
    storageDir,
    nodeIp: options.nodeIp,
    nodeLabels: options.nodeLabels,
    nodeTaints: options.nodeTaints,
    controlPlane: options.controlPlane,
    kubeletPort: options.kubeletPort,
    runtimeVersion: async () => {
      const v = await runtime.version({});
      return `${v.runtimeName}://${v.runtimeVersion}`;
    },
    listImages: async () => (await runtime.listImages({})).images,
    readiness: () => runtimeReadiness(runtime, options.networkReadiness),
  });
  await node.start();
  const localPath = new LocalPathCleaner({ client, nodeName: options.nodeName, storageDir });
  localPath.start();
  // A port taken (another kubelet on this machine) costs logs and exec, not the node's pods.
  const server = options.serving
    ? await startKubeletServer({ port: options.kubeletPort ?? 10250, serving: options.serving, clientCa: options.clientCa, runtime, pods: podsFromApi(client, options.nodeName) })
      .catch((err: Error): KubeletServer | undefined => void log.error(`kubelet API not served: ${err.message}`))
    : undefined;
  const recorder = new EventRecorder(client, { component: 'kubelet', host: options.nodeName });
  const services = new Informer<KObject>(client, { path: '/api/v1/services', name: 'kubelet services' });
  services.addIndex(NAMESPACE_INDEX, byNamespace);
  services.start();
  const objects = new ClientObjectReader(client);
  const allocatable = () => node.allocatable();
  const env = new EnvResolver({ objects, services: (ns) => services.byIndex(NAMESPACE_INDEX, ns), allocatable, recorder });
  // DATA_DIR itself: the volume manager and the pod workers add agent/pods and agent/logs/pods.
  const dataDir = path.dirname(options.agentDir);
  const volumes = new VolumeManager({ dataDir, objects, tokens: new ClientTokenSource(client), allocatable, recorder, env });
  const pods = new PodManager({
    client,
    nodeName: options.nodeName,
    nodeIP: node.nodeIp,
    runtime,
    volumes,
    env,
    recorder,
    dataDir,
    clusterDns: options.clusterDns,
    clusterDomain: options.clusterDomain,
    networkReady: options.networkReadiness ? () => options.networkReadiness!().ready : undefined,
  });
  await services.waitForSync();
  await pods.start();
  log.info(`node ${options.nodeName} registered; running its pods`);
  return {
    node,
    setServing: (serving) => server?.setServing(serving),
    stop: async () => {
      await server?.close();
      pods.stop();
      services.stop();
      localPath.stop();
      node.stop();
      // Events still queued get a moment, not a hang, when the API server is gone.
      await Promise.race([recorder.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };
}
