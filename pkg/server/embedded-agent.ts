/**
 * The server's own node (k3s-style single-node cluster; --disable-agent turns it off). It
 * runs the same agent as `tsk agent join`, with certificates the server issues to itself at
 * every start instead of fetching them: system:node:NAME for the kubelet, a serving
 * certificate for its HTTPS API. The control-plane role labels are set by the server with
 * its own identity once the Node exists, since NodeRestriction keeps a node from giving
 * itself role labels (k3s does the same). Its certificates live in memory only; the server's
 * certificate check renews them (renewCertificates) like its own.
 */
import { isDue } from '../auth/certpolicy.ts';
import type { ServerPki } from '../auth/serverpki.ts';
import { kubeletClientCert, kubeletServingCert } from '../auth/node/certificates.ts';
import { startAgent, type RunningAgent } from '../agent/run.ts';
import type { NodeConfig, ServerConfig } from '../cli/commands.ts';
import { Client, resourcePath } from '../client/client.ts';
import type { DataDirLayout } from '../datadir/layout.ts';
import { logger } from '../log/log.ts';
import { clusterNetworkOf } from './clusternetwork.ts';
import { hostAddresses } from './credentials.ts';

const log = logger('agent');
const CONTROL_PLANE_LABELS = { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true' };

export interface EmbeddedAgent extends RunningAgent {
  /** Re-issues the kubelet's certificates when due (or `force`d) and switches to them; whether it did. */
  renewCertificates(force: boolean, now?: Date): Promise<boolean>;
}

export async function startEmbeddedAgent(config: ServerConfig, node: NodeConfig, layout: DataDirLayout, pki: ServerPki, apiUrl: string): Promise<EmbeddedAgent> {
  const nodeIp = node.nodeIp ?? hostAddresses()[0] ?? '127.0.0.1';
  let clientCert = await kubeletClientCert(pki.clientCa, node.nodeName);
  let servingCert = await kubeletServingCert(pki.serverCa, node.nodeName, [nodeIp]);
  const agent = await startAgent({
    layout: layout.agent,
    node: {
      server: apiUrl,
      nodeName: node.nodeName,
      nodeIp,
      nodeLabels: node.nodeLabels,
      nodeTaints: node.nodeTaints,
      kubeletPort: node.kubeletPort,
      containerRuntimeEndpoint: node.containerRuntimeEndpoint,
      flannelIface: node.flannelIface,
    },
    credentials: {
      client: { server: apiUrl, ca: pki.serverCa.certPem, cert: clientCert.certPem, key: clientCert.keyPem },
      serving: { cert: servingCert.certPem, key: servingCert.keyPem },
      clientCa: pki.clientCa.certPem,
    },
    debug: config.debug,
    network: clusterNetworkOf(config),
    controlPlane: true,
  });
  await labelControlPlane(apiUrl, pki, node.nodeName).catch((err: Error) => log.warn(`could not label node ${node.nodeName} as control plane: ${err.message}`));
  const renewCertificates = async (force: boolean, now = new Date()): Promise<boolean> => {
    if (!force && !isDue(clientCert.certPem, now) && !isDue(servingCert.certPem, now)) return false;
    clientCert = await kubeletClientCert(pki.clientCa, node.nodeName);
    servingCert = await kubeletServingCert(pki.serverCa, node.nodeName, [nodeIp]);
    agent.credentialsRenewed({
      client: { server: apiUrl, ca: pki.serverCa.certPem, cert: clientCert.certPem, key: clientCert.keyPem },
      serving: { cert: servingCert.certPem, key: servingCert.keyPem },
      clientCa: pki.clientCa.certPem,
    });
    return true;
  };
  return { ...agent, renewCertificates };
}

async function labelControlPlane(apiUrl: string, pki: ServerPki, nodeName: string): Promise<void> {
  const client = new Client({ server: apiUrl, ca: pki.serverCa.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem }, { userAgent: 'tsk-server' });
  try {
    await client.patch(resourcePath({ version: 'v1', resource: 'nodes', name: nodeName }), { metadata: { labels: CONTROL_PLANE_LABELS } }, 'merge');
  } finally {
    client.close();
  }
}
