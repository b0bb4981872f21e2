/**
 * The agent's one seam: `tsk agent join` and `tsk agent` both end here with the node's
 * identity and credentials. The kubelet (pkg/kubelet) is started from here once it is wired;
 * until then the agent only holds its credentials and keeps running.
 */
import type { DataDirLayout } from '../datadir/layout.ts';
import { logger } from '../log/log.ts';
import type { AgentCredentials, AgentFiles, StoredNodeConfig } from './files.ts';

const log = logger('agent');

export interface AgentRuntimeConfig {
  /** DATA_DIR/agent's folders: images, containerd, pod logs. */
  layout: DataDirLayout['agent'];
  /** Where the credentials below are stored (server-ca.crt, kubelet.kubeconfig, …). */
  files: AgentFiles;
  /** Server URL, node name, IP, labels, taints, kubelet port, CRI endpoint, as join stored them. */
  node: StoredNodeConfig;
  /** The kubelet's client identity (system:node:NAME) and its serving certificate. */
  credentials: AgentCredentials;
  debug: boolean;
}

export interface RunningAgent {
  /** Called after the client and serving certificates were renewed (the files are rewritten already). */
  credentialsRenewed(credentials: AgentCredentials): void;
  stop(): Promise<void>;
}

export async function startAgent(config: AgentRuntimeConfig): Promise<RunningAgent> {
  log.info(`agent for node ${config.node.nodeName} ready; kubelet not wired yet`);
  return {
    credentialsRenewed: () => {},
    stop: async () => {},
  };
}
