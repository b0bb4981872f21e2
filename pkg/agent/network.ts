/**
 * Everything network an agent runs besides the kubelet, in the order it needs them:
 *   routes to the other nodes' pods (flannel's job: VXLAN or host-gw, plus the masquerade of
 *     traffic leaving the cluster CIDR), which also tell the pods' MTU;
 *   the pod network (podCIDR → bridge with its gateway address → CNI conflist);
 *   the service proxy (kube-proxy's job), from the first moment, so Services work for host
 *     processes and for pods as soon as they start;
 *   NetworkPolicy enforcement for the pods of this node;
 *   the cluster DNS server on the bridge's gateway address, which the kube-dns Service leads to.
 * Each part reads the API through one shared set of informers under the kubelet's identity
 * (system:tsk-node-network grants the reads). Parts the server turned off (--disable coredns,
 * --disable-network-policy, --disable-kube-proxy, --flannel-backend none) are not started.
 * Stopping leaves routes and rules in place: pods keep working while the agent restarts.
 */
import type { KObject } from '../api/types.ts';
import type { Client } from '../client/client.ts';
import { InformerFactory } from '../client/factory.ts';
import { resourcePath } from '../client/paths.ts';
import { hostResolvConf } from '../kubelet/pods/dns.ts';
import { logger } from '../log/log.ts';
import type { NetworkReadiness } from '../network/cni.ts';
import type { ClusterNetworkConfig } from '../network/clusterconfig.ts';
import { startClusterDns, type ClusterDns } from '../network/dns/service.ts';
import { Iptables } from '../network/iptables.ts';
import { startNodeRoutes } from '../network/overlay/routes.ts';
import { startPodNetwork } from '../network/podnetwork.ts';
import { startNetworkPolicy } from '../network/policy/controller.ts';
import { Conntrack } from '../network/proxy/conntrack.ts';
import { startServiceProxy } from '../network/proxy/proxier.ts';

const log = logger('network');

export interface NodeNetworkOptions {
  client: Client;
  nodeName: string;
  nodeIp: string;
  /** --flannel-iface. */
  flannelIface?: string;
  network: ClusterNetworkConfig;
  /** DATA_DIR/agent. */
  agentDir: string;
}

export interface NodeNetwork {
  /** For the kubelet: pods needing the network wait until the conflist is written. */
  readiness(): NetworkReadiness;
  stop(): Promise<void>;
}

export function startNodeNetwork(options: NodeNetworkOptions): NodeNetwork {
  const { client, nodeName, network } = options;
  const disabled = new Set(network.disabled);
  const informers = new InformerFactory(client);
  const iptables = new Iptables({ family: network.clusterCidr.includes(':') ? 6 : 4 });
  const stops: (() => Promise<void> | void)[] = [];

  const nodes = informers.informerFor({ version: 'v1', resource: 'nodes' });
  const routes = startNodeRoutes({
    nodes,
    patchOwnNode: async (annotations) => {
      await client.patch(resourcePath({ version: 'v1', resource: 'nodes', name: nodeName }), { metadata: { annotations } }, 'merge');
    },
    nodeName,
    nodeIp: options.nodeIp,
    backend: network.flannelBackend,
    iface: options.flannelIface,
    clusterCidr: network.clusterCidr,
  });
  stops.push(() => routes.stop());

  const pods = startPodNetwork({
    client,
    nodeName,
    agentDir: options.agentDir,
    // With backend none nothing installs the cluster masquerade: the bridge keeps pods' way out.
    ipMasq: network.flannelBackend === 'none',
    mtu: async () => {
      await routes.ready;
      return routes.mtu();
    },
  });
  stops.push(() => pods.stop());

  const services = informers.informerFor({ version: 'v1', resource: 'services' });
  const endpointSlices = informers.informerFor({ group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' });
  const allPods = informers.informerFor<KObject>({ version: 'v1', resource: 'pods' });
  const namespaces = informers.informerFor({ version: 'v1', resource: 'namespaces' });
  const policies = disabled.has('network-policy') ? undefined : informers.informerFor({ group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies' });

  // The rules of a previous run stay in force until the informers hold the whole picture: a
  // first sync from empty caches would take every Service and policy away for a moment.
  let rulesStopped = false;
  const running: { stop(): Promise<void> }[] = [];
  const rules = (async () => {
    await informers.waitForSync();
    if (rulesStopped) return;
    if (!disabled.has('kube-proxy')) {
      const proxy = startServiceProxy({
        services, endpointSlices, nodeName, clusterCidr: network.clusterCidr, iptables,
        // Stale UDP flows (DNS above all) are cleared when their endpoint goes.
        conntrack: new Conntrack(),
        serveLoadBalancerIPs: !disabled.has('servicelb'),
      });
      running.push(proxy);
      // Both insert their FORWARD jump first, and the proxy's accepts marked Service traffic:
      // the policy starts after the proxy's first sync so that its jump ends up above.
      await proxy.synced;
      log.info('service proxy: rules in place');
    }
    if (policies && !rulesStopped) {
      running.push(startNetworkPolicy({ nodeName, iptables, policies, pods: allPods, namespaces, family: network.clusterCidr.includes(':') ? 6 : 4 }));
    }
  })();
  rules.catch((err: unknown) => log.error(`service proxy and network policy not started: ${(err as Error).message}`));
  stops.push(async () => {
    rulesStopped = true;
    for (const part of running) await part.stop();
  });

  let dns: ClusterDns | undefined;
  let stopped = false;
  if (!disabled.has('coredns')) {
    pods.ready.then(async ({ gateway }) => {
      if (stopped) return;
      const upstreams = hostResolvConf().servers;
      dns = await startClusterDns({
        sources: { services, endpointSlices, pods: allPods, namespaces },
        zone: network.clusterDomain,
        listen: [{ host: gateway, port: 53 }],
        upstreams,
      });
      if (stopped) await dns.stop();
      else log.info(`cluster DNS on ${gateway}:53 for ${network.clusterDomain} (other names to ${upstreams.join(', ') || 'nobody: no resolver in /etc/resolv.conf'})`);
    }).catch((err: unknown) => log.error(`cluster DNS not started: ${(err as Error).message}`));
  }
  stops.push(async () => {
    stopped = true;
    await dns?.stop();
  });

  informers.start();
  stops.push(() => informers.stop());
  return {
    readiness: () => pods.readiness(),
    stop: async () => {
      for (const stop of stops.reverse()) {
        try {
          await stop();
        } catch (err) {
          log.warn(`stopping: ${(err as Error).message}`);
        }
      }
    },
  };
}
