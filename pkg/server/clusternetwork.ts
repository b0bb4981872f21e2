/** The server's flags as the network settings its nodes share (served to agents at /v1-tsk/config). */
import type { ServerConfig } from '../cli/commands.ts';
import type { ClusterNetworkConfig } from '../network/clusterconfig.ts';

export function clusterNetworkOf(config: ServerConfig): ClusterNetworkConfig {
  const disabled: string[] = config.disable.filter((c) => c === 'servicelb' || c === 'coredns');
  if (config.disableNetworkPolicy) disabled.push('network-policy');
  if (config.disableKubeProxy) disabled.push('kube-proxy');
  return {
    clusterCidr: config.clusterCidr,
    serviceCidr: config.serviceCidr,
    clusterDns: config.clusterDns,
    clusterDomain: config.clusterDomain,
    flannelBackend: config.flannelBackend,
    disabled,
  };
}
