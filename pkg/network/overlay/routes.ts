/**
 * Cross-node pod networking, what flannel does inside k3s: from the Node informer, keep this
 * node's kernel in step with the cluster (host-gw: a route per other node's podCIDR through
 * its address; vxlan: the tsk.1 tunnel, and per other node a route, a neighbour and a
 * forwarding entry), publish this node's own endpoint on its Node, and masquerade what leaves
 * the cluster CIDR.
 *
 * The whole state is one key: any relevant Node change, and a periodic full check that also
 * repairs what others removed, re-read the kernel and fix only the differences. Syncs never
 * overlap; events during one make one more. Nothing happens before this node's own Node (with
 * its podCIDR) is in the source, so an informer that has not listed yet never clears the
 * routes a restarted agent finds in place. stop() leaves everything in place (pods keep
 * working across an agent restart); removeNodeRoutes() is for uninstall.
 */
import type { KObject } from '../../api/types.ts';
import { logger } from '../../log/log.ts';
import type { Source } from '../dns/records.ts';
import { NetworkError } from '../errors.ts';
import { Iptables } from '../iptables.ts';
import { ensureMasquerade, removeMasquerade } from '../masquerade.ts';
import { ANNOTATIONS, parseFlannelBackend, podMtu, ROUTE_PROTO, VXLAN_DEVICE, vtepMac, type FlannelBackend } from './backend.ts';
import { parseFdb, parseNeighbours, parseRoutes, planFdb, planNeighbours, planRoutes } from './diff.ts';
import { IpRoute2 } from '../iproute2.ts';
import { deleteLink, ensureVxlanDevice, findInterface, type Interface } from './link.ts';
import { networkAddress } from '../cidr.ts';
import { desiredState, podCidrsOf, type Desired } from './peers.ts';

const log = logger('overlay');

/** Merge-patch values for metadata.annotations: null removes the key. */
export type AnnotationPatch = Record<string, string | null>;

export interface NodeRoutesOptions {
  /** The Node informer (all nodes). */
  nodes: Source<KObject>;
  /** Merge-patches this node's metadata.annotations (the kubelet's credentials may). */
  patchOwnNode: (annotations: AnnotationPatch) => Promise<void>;
  nodeName: string;
  /** The node's InternalIP. */
  nodeIp: string;
  backend: FlannelBackend;
  /** --flannel-iface; default: the interface holding nodeIp. */
  iface?: string;
  /** --cluster-cidr, for the masquerade. */
  clusterCidr: string;
  /** For tests: run every ip/bridge/iptables command in this named network namespace. */
  netns?: string;
  /** Period of the full check against the kernel (default 30 s). */
  resyncMs?: number;
}

export interface NodeRoutes {
  /** Resolves after the first full sync (device, masquerade, routes); rejects on a configuration error or stop() before. */
  ready: Promise<void>;
  /** The pods' MTU for the CNI conflist (known by `ready`); undefined for backend none. */
  mtu(): number | undefined;
  stop(): void;
}

/** The fields of a Node the overlay reads: other updates (status heartbeats) cost nothing. */
function relevant(node: KObject): string {
  const annotations = (node.metadata.annotations ?? {}) as Record<string, string>;
  const ours = Object.values(ANNOTATIONS).map((key) => annotations[key]);
  return JSON.stringify([podCidrsOf(node), (node.status as { addresses?: unknown } | undefined)?.addresses, ours]);
}

export function startNodeRoutes(options: NodeRoutesOptions): NodeRoutes {
  const parsed = parseFlannelBackend(options.backend);
  if (parsed === 'none') {
    // Bring your own network: what an earlier backend of ours left would fight it.
    const ready = removeNodeRoutes({ netns: options.netns }).catch((err: unknown) => log.warn(`backend none: could not remove the overlay an earlier backend left: ${(err as Error).message}`));
    return { ready, mtu: () => undefined, stop: () => undefined };
  }
  const backend = parsed;
  const ip = new IpRoute2(options.netns);
  const iptables = new Iptables({ netns: options.netns });
  const resyncMs = options.resyncMs ?? 30_000;

  let iface: Interface | undefined;
  let stopped = false;
  let running = false;
  let again = false;
  let full = true;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  let isReady = false;
  let waitingLogged = false;
  /** What the device and the masquerade were last made for: an event sync redoes them only when it changed. */
  let deviceFor: string | undefined;
  let masqueradeFor: string | undefined;
  const warned = new Map<string, string>();
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  // The caller may never await it; a rejection must not crash the process.
  ready.catch(() => undefined);

  const kick = (fullSync = false) => {
    if (stopped) return;
    if (fullSync) full = true;
    if (running) {
      again = true;
      return;
    }
    void loop();
  };
  options.nodes.onAdd(() => kick());
  options.nodes.onUpdate((before, after) => {
    if (relevant(before) !== relevant(after)) kick();
  });
  options.nodes.onDelete(() => kick());
  const timer = setInterval(() => kick(true), resyncMs);
  timer.unref();

  const stop = () => {
    stopped = true;
    clearInterval(timer);
    clearTimeout(retry);
    if (!isReady) rejectReady(new NetworkError('no-pod-cidr', `node routes stopped before node ${options.nodeName} was set up`));
  };

  async function loop(): Promise<void> {
    running = true;
    try {
      do {
        again = false;
        const wasFull = full;
        full = false;
        try {
          await sync(wasFull);
          failures = 0;
        } catch (err) {
          if (stopped) return;
          if (!isReady && err instanceof NetworkError && err.code === 'no-interface') {
            // A configuration error at start: retrying will not help, and the agent should say so (k3s exits).
            // Later (an interface gone for a while) it is retried like any other failure.
            log.error(err.message);
            rejectReady(err);
            stop();
            return;
          }
          failures++;
          full = true;
          const delay = Math.min(30_000, 500 * 2 ** failures);
          log.warn(`node routes: ${(err as Error).message}; retrying in ${delay / 1000} s`);
          clearTimeout(retry);
          retry = setTimeout(() => kick(true), delay);
          retry.unref();
        }
      } while (again && !stopped);
    } finally {
      running = false;
    }
  }

  async function sync(fullSync: boolean): Promise<void> {
    // Awaited before reading the source: events fired during an informer's list all land first.
    if (fullSync || !iface) iface = await findInterface(ip, options.nodeIp, options.iface);
    const self = options.nodes.list().find((n) => n.metadata.name === options.nodeName);
    const podCidrs = self ? podCidrsOf(self) : [];
    if (!self || podCidrs.length === 0) {
      if (!waitingLogged) log.info(`node routes: waiting for node ${options.nodeName} and its IPv4 podCIDR`);
      waitingLogged = true;
      return;
    }
    const mac = vtepMac(options.nodeName);
    const device = { iface, mac, mtu: podMtu(backend, iface.mtu)!, address: `${networkAddress(podCidrs[0]!)}/32` };
    if (backend === 'vxlan' && (fullSync || deviceFor !== JSON.stringify(device))) {
      deviceFor = undefined;
      const changes = await ensureVxlanDevice(ip, device);
      if (changes.length > 0) log.info(`${VXLAN_DEVICE}: ${changes.join(', ')}`);
      deviceFor = JSON.stringify(device);
    } else if (backend === 'host-gw' && fullSync && (await deleteLink(ip, VXLAN_DEVICE))) {
      log.info(`removed ${VXLAN_DEVICE}, left from --flannel-backend vxlan`);
    }
    if (fullSync || masqueradeFor !== podCidrs[0]) {
      masqueradeFor = undefined;
      await ensureMasquerade(iptables, { clusterCidr: options.clusterCidr, podCidr: podCidrs[0]! });
      masqueradeFor = podCidrs[0];
    }
    const desired = desiredState({ name: options.nodeName, backend, iface: iface.name, ifaceNetworks: iface.networks, ip: iface.ip, podCidrs }, options.nodes.list());
    reportWarnings(desired.warnings);
    const failed = await apply(desired);
    // A route the kernel refused to one peer must not keep this node's own pods waiting.
    if (!isReady) {
      isReady = true;
      log.info(`node routes (${backend}) in place: ${podCidrs.join(', ')} via ${iface.name} ${iface.ip}, pod MTU ${podMtu(backend, iface.mtu)}`);
      resolveReady();
    }
    if (failed.length > 0) throw new NetworkError('ip-failed', `${failed.length} change(s) refused: ${failed.join('; ')}`);
    await publish(self, iface, mac);
  }

  async function apply(desired: Desired): Promise<string[]> {
    const [routes, neighbours, fdb] = await Promise.all([
      ip.json('ip', ['-4', 'route', 'show', 'proto', String(ROUTE_PROTO)]),
      backend === 'vxlan' ? ip.json('ip', ['-4', 'neigh', 'show', 'dev', VXLAN_DEVICE]) : [],
      backend === 'vxlan' ? ip.json('bridge', ['fdb', 'show', 'dev', VXLAN_DEVICE]) : [],
    ]);
    // Tunnel endpoints before the routes that lead to them.
    const bridgeLines = planFdb(parseFdb(fdb), desired.fdb);
    const ipLines = [...planNeighbours(parseNeighbours(neighbours), desired.neighbours), ...planRoutes(parseRoutes(routes), desired.routes)];
    const failed = [...(await ip.batch('bridge', bridgeLines)), ...(await ip.batch('ip', ipLines))];
    const changed = bridgeLines.length + ipLines.length;
    if (changed > 0) log.info(`node routes: ${changed - failed.length} of ${changed} change(s) made`);
    for (const line of [...bridgeLines, ...ipLines]) log.debug(line);
    return failed;
  }

  function reportWarnings(warnings: Map<string, string>): void {
    for (const [peer, text] of warnings) {
      if (warned.get(peer) !== text) log.warn(text);
    }
    warned.clear();
    for (const [peer, text] of warnings) warned.set(peer, text);
  }

  async function publish(self: KObject, iface: Interface, mac: string): Promise<void> {
    const want: AnnotationPatch = {
      [ANNOTATIONS.backend]: backend,
      [ANNOTATIONS.publicIp]: iface.ip,
      [ANNOTATIONS.vxlanMac]: backend === 'vxlan' ? mac : null,
    };
    const have = (self.metadata.annotations ?? {}) as Record<string, string>;
    const patch = Object.fromEntries(Object.entries(want).filter(([key, value]) => (have[key] ?? null) !== value));
    if (Object.keys(patch).length === 0) return;
    await options.patchOwnNode(patch);
    log.info(`published ${Object.entries(patch).map(([k, v]) => `${k}=${v ?? '(removed)'}`).join(', ')} on node ${options.nodeName}`);
  }

  kick(true);
  return {
    ready,
    mtu: () => (iface ? podMtu(backend, iface.mtu) : undefined),
    stop,
  };
}

/**
 * Uninstall: the VXLAN device (its routes, neighbours and forwarding entries go with it), every
 * route with our protocol number, the masquerade chains. Safe to run when none of it exists.
 */
export async function removeNodeRoutes(options: { netns?: string } = {}): Promise<void> {
  const ip = new IpRoute2(options.netns);
  await deleteLink(ip, VXLAN_DEVICE);
  const routes = parseRoutes(await ip.json('ip', ['-4', 'route', 'show', 'proto', String(ROUTE_PROTO)]));
  const failed = await ip.batch('ip', planRoutes(routes, []));
  await removeMasquerade(new Iptables({ netns: options.netns }));
  if (failed.length > 0) throw new NetworkError('ip-failed', `could not remove routes: ${failed.join('; ')}`);
}
