/**
 * `tsk simulate`: join with the token, register the fleet, keep its heartbeats and play
 * kubelet for its pods until SIGTERM/SIGINT. Stopping leaves the nodes registered: their
 * Leases simply stop being renewed, which is how tests kill a node.
 *
 * Everything shares one HTTP/2 connection (pkg/client multiplexes), so 1,000 nodes cost one
 * socket, one pod watch and one node watch.
 */
import type { KObject } from '../api/types.ts';
import type { SimulateConfig } from '../cli/commands.ts';
import { Client, resourcePath } from '../client/client.ts';
import { Informer } from '../client/informer.ts';
import { followServers } from '../client/serverwatch.ts';
import { ServerList } from '../client/servers.ts';
import { logger, setLogLevel } from '../log/log.ts';
import { onShutdownSignal } from '../server/shutdown.ts';
import { fleetNodes, NodeFleet } from './fleet.ts';
import { joinCredentials } from './join.ts';
import { SimulatedKubelet, type FleetView } from './kubelet.ts';

const log = logger('simulate');

/** The node's IPv4 podCIDR (IPAM may also give an IPv6 one). */
function podCidrOf(node: KObject | undefined): string | undefined {
  const cidrs = (node?.spec?.podCIDRs as string[] | undefined) ?? (node?.spec?.podCIDR ? [node.spec.podCIDR as string] : []);
  return cidrs.find((c) => !c.includes(':'));
}

export async function runSimulate(config: SimulateConfig): Promise<number> {
  if (config.debug) setLogLevel('debug');
  const signal = onShutdownSignal(log);
  let stopped = false;
  void signal.received.then(() => (stopped = true));
  const joining = joinCredentials(config.server, config.token, 'simulator');
  // Its failure is reported through the race below, or moot once a signal ended the wait.
  joining.catch(() => {});
  let credentials: Awaited<typeof joining> | undefined;
  try {
    credentials = await Promise.race([joining, signal.received.then(() => undefined)]);
  } finally {
    if (!credentials) signal.dispose();
  }
  if (!credentials) return 0;
  // Like an agent, the fleet moves to another API server of an HA cluster when its server dies.
  const servers = new ServerList(credentials.server);
  const client = new Client(credentials, { userAgent: 'tsk-simulate', servers });
  const serverWatch = followServers(client, servers);
  const nodes = fleetNodes(config.namePrefix, config.nodes);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const nodeInformer = new Informer(client, { path: resourcePath({ version: 'v1', resource: 'nodes' }), name: 'simulate nodes' });
  const view: FleetView = {
    node: (name) => byName.get(name),
    podCidr: (name) => podCidrOf(nodeInformer.get(name)),
  };
  const fleet = new NodeFleet(client, nodes, nodeInformer);
  const kubelet = new SimulatedKubelet(client, view);
  try {
    const started = Date.now();
    const registering = fleet.register();
    registering.catch(() => {}); // as joining's
    await Promise.race([registering, signal.received]);
    if (!stopped) {
      fleet.start();
      log.info(`registered ${nodes.length} nodes (${config.namePrefix}0…${config.namePrefix}${nodes.length - 1}) in ${Date.now() - started} ms`);
      nodeInformer.start();
      await Promise.race([kubelet.start(), signal.received]);
      if (!stopped) log.info(`running pods bound to ${nodes.length} simulated nodes`);
    }
    await signal.received;
    log.info(`stopped the heartbeats of ${nodes.length} nodes (they stay registered)`);
    return 0;
  } finally {
    serverWatch.stop();
    fleet.stop();
    kubelet.stop();
    nodeInformer.stop();
    client.close();
    signal.dispose();
  }
}
