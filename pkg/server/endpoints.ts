/**
 * The `kubernetes` Service's endpoints list every live API server, as kube-apiserver's lease
 * endpoint reconciler keeps them: each server holds a Lease in kube-system labelled
 * apiserver.kubernetes.io/identity=kube-apiserver (the identity Leases of Kubernetes 1.26+)
 * with its address in an annotation, renews it every RENEW_MS, and writes the Endpoints of
 * `default/kubernetes` as the servers whose Leases are live. A server that stops cleanly
 * removes itself at once; one that dies drops out when its Lease has not changed for
 * LEASE_SECONDS as observed on this server's clock (as leader election judges holders), so
 * clock skew between servers cannot drop a live one.
 *
 * Agents and `tsk simulate` read these Endpoints to learn where to fail over to.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { KObject } from '../api/types.ts';
import { Client, isClientError } from '../client/client.ts';
import { microTime } from '../client/leaderelection.ts';
import { serverUrlsOfEndpoints } from '../client/servers.ts';
import { logger } from '../log/log.ts';

const log = logger('apiserver-endpoints');

export const LEASE_SECONDS = 15;
export const RENEW_MS = 5_000;
export const IDENTITY_LABEL = 'apiserver.kubernetes.io/identity';
export const ENDPOINT_ANNOTATION = 'tsk.io/apiserver-endpoint';
/** Leases of servers gone this long are deleted (kube-apiserver garbage-collects expired identity Leases too). */
const FORGET_AFTER_MS = 4 * LEASE_SECONDS * 1000;

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';
const ENDPOINTS = '/api/v1/namespaces/default/endpoints';
const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
const SERVICE = '/api/v1/namespaces/default/services/kubernetes';

interface Lease extends KObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string };
}

export interface EndpointReconcilerOptions {
  /** An admin client of this server (loopback); stop() closes it. */
  client: Client;
  /** The address other machines reach this server at, and its port. */
  address: string;
  port: number;
  renewMs?: number;
  leaseSeconds?: number;
}

export interface EndpointReconciler {
  /** Runs one pass now: renew, then rewrite the endpoints if the live set changed. */
  reconcile(): Promise<void>;
  /** Stops renewing and takes this server out of the endpoints (a clean shutdown). */
  stop(): Promise<void>;
}

/** The Lease name: stable across restarts of the same server (host, address and port). */
export function leaseNameOf(address: string, port: number, host = os.hostname()): string {
  return `apiserver-${crypto.createHash('sha256').update(`${host}/${address}:${port}`).digest('hex').slice(0, 24)}`;
}

type Member = { address: string; port: number };

function memberOf(lease: Lease): Member | undefined {
  const value = lease.metadata.annotations?.[ENDPOINT_ANNOTATION];
  const match = value ? /^(.+):(\d+)$/.exec(value) : null;
  if (!match) return undefined;
  return { address: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

/** Endpoints subsets: one per port (servers on one port share a subset, as Kubernetes groups them). */
export function subsetsOf(members: Member[]): Array<{ addresses: Array<{ ip: string }>; ports: Array<{ name: string; port: number; protocol: string }> }> {
  const byPort = new Map<number, string[]>();
  for (const m of members) byPort.set(m.port, [...(byPort.get(m.port) ?? []), m.address]);
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, ips]) => ({ addresses: [...new Set(ips)].sort().map((ip) => ({ ip })), ports: [{ name: 'https', port, protocol: 'TCP' }] }));
}

type EndpointsShape = Parameters<typeof serverUrlsOfEndpoints>[0];
type SliceShape = { endpoints?: Array<{ addresses?: string[] }>; ports?: Array<{ port?: number }> };

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** What matters of a slice (stored ones carry defaults this server did not write). */
function sliceKey(slice: SliceShape): string[] {
  const ports = (slice.ports ?? []).map((p) => p.port);
  return (slice.endpoints ?? []).flatMap((e) => e.addresses ?? []).sort().map((ip) => `${ip}:${ports.join(',')}`);
}

export async function startEndpointReconciler(opts: EndpointReconcilerOptions): Promise<EndpointReconciler> {
  const { client, address, port } = opts;
  const leaseSeconds = opts.leaseSeconds ?? LEASE_SECONDS;
  const name = leaseNameOf(address, port);
  const holder = `${name}_${crypto.randomUUID()}`;
  const endpoint = `${address.includes(':') ? `[${address}]` : address}:${port}`;
  /** Per other server's Lease: the renewTime last seen and when (this clock) it last changed. */
  const seen = new Map<string, { renewTime: string; changedAt: number }>();
  let stopped = false;
  let lastView: string | undefined;

  const renew = async (): Promise<void> => {
    const now = microTime();
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: 'kube-system',
        labels: { [IDENTITY_LABEL]: 'kube-apiserver', 'kubernetes.io/hostname': os.hostname() },
        annotations: { [ENDPOINT_ANNOTATION]: endpoint },
      },
      spec: { holderIdentity: holder, leaseDurationSeconds: leaseSeconds, acquireTime: now, renewTime: now },
    };
    try {
      const current = await client.get<Lease>(`${LEASES}/${name}`);
      const acquireTime = current.spec?.holderIdentity === holder ? current.spec.acquireTime ?? now : now;
      await client.update(`${LEASES}/${name}`, { ...lease, metadata: { ...lease.metadata, resourceVersion: current.metadata.resourceVersion }, spec: { ...lease.spec, acquireTime } });
    } catch (err) {
      if (!isClientError(err, 'NotFound')) throw err;
      await client.create(LEASES, lease);
    }
  };

  /** The live servers: this one (unless stopping) and those whose Leases changed lately. */
  const liveMembers = async (includeSelf: boolean): Promise<Member[]> => {
    const list = await client.list<Lease>(LEASES, { labelSelector: `${IDENTITY_LABEL}=kube-apiserver` });
    const now = Date.now();
    const live: Member[] = includeSelf ? [{ address, port }] : [];
    const present = new Set<string>();
    for (const lease of list.items) {
      const leaseName = lease.metadata.name!;
      present.add(leaseName);
      if (leaseName === name) continue;
      const renewTime = lease.spec?.renewTime ?? '';
      const prior = seen.get(leaseName);
      if (!prior || prior.renewTime !== renewTime) seen.set(leaseName, { renewTime, changedAt: now });
      const silentMs = now - seen.get(leaseName)!.changedAt;
      const duration = (lease.spec?.leaseDurationSeconds ?? leaseSeconds) * 1000;
      const member = memberOf(lease);
      if (silentMs <= duration && lease.spec?.holderIdentity) {
        if (member) live.push(member);
      } else if (silentMs > FORGET_AFTER_MS) {
        // Preconditioned on what was read: a server that came back meanwhile keeps its Lease.
        await client.delete(`${LEASES}/${leaseName}`, { preconditions: { resourceVersion: lease.metadata.resourceVersion } }).catch(() => {});
      }
    }
    for (const key of seen.keys()) if (!present.has(key)) seen.delete(key);
    return live;
  };

  /** Compared with what is stored on every pass: another server may have written a different view. */
  const writeEndpoints = async (members: Member[]): Promise<void> => {
    const subsets = subsetsOf(members);
    const current = await client.get<KObject & { subsets?: unknown }>(`${ENDPOINTS}/kubernetes`).catch((err) => {
      if (isClientError(err, 'NotFound')) return undefined;
      throw err;
    });
    const labels = { 'endpointslice.kubernetes.io/skip-mirror': 'true' };
    if (!current) {
      await client.create(ENDPOINTS, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels }, subsets } as KObject);
    } else if (sameList(serverUrlsOfEndpoints(current as EndpointsShape), serverUrlsOfEndpoints({ subsets })) === false) {
      await client.update(`${ENDPOINTS}/kubernetes`, { ...current, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...labels } }, subsets } as KObject);
    }
    await writeSlice(members);
    const view = members.map((m) => `${m.address}:${m.port}`).sort().join(' ');
    if (lastView !== undefined && view !== lastView) log.info(`API servers: ${view || 'none'}`);
    lastView = view;
  };

  /**
   * The Service has one target port, so its EndpointSlice lists the servers on that port (all
   * of them, unless servers listen on different ports, as only tests do); the Endpoints above
   * list every server.
   */
  const writeSlice = async (members: Member[]): Promise<void> => {
    const service = await client.get<KObject & { spec?: { ports?: Array<{ targetPort?: number | string }> } }>(SERVICE).catch(() => undefined);
    const target = Number(service?.spec?.ports?.[0]?.targetPort ?? port);
    const ips = [...new Set(members.filter((m) => m.port === target).map((m) => m.address))].sort();
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: (ips[0] ?? address).includes(':') ? 'IPv6' : 'IPv4',
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'https', port: target, protocol: 'TCP' }],
    };
    const current = await client.get<KObject & SliceShape>(`${SLICES}/kubernetes`).catch((err) => {
      if (isClientError(err, 'NotFound')) return undefined;
      throw err;
    });
    if (!current) await client.create(SLICES, slice as KObject);
    else if (!sameList(sliceKey(current), sliceKey(slice))) await client.update(`${SLICES}/kubernetes`, { ...current, ...slice, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...slice.metadata.labels } } } as KObject);
  };

  let running: Promise<void> = Promise.resolve();
  const reconcile = (): Promise<void> => {
    // After the previous pass, however it ended: one failed pass must not stop every later one.
    running = running.catch(() => {}).then(async () => {
      if (stopped) return;
      await renew();
      await writeEndpoints(await liveMembers(true));
    });
    return running;
  };

  // Not fatal: the API serves without its endpoints (an address they refuse, e.g. loopback) and the next pass retries.
  await reconcile().catch((err: Error) => log.warn(`could not write this server into the kubernetes endpoints: ${err.message}`));
  log.info(`this server is ${endpoint} in the kubernetes endpoints (Lease kube-system/${name}, ${leaseSeconds} s, renewed every ${(opts.renewMs ?? RENEW_MS) / 1000} s)`);
  // The same failure every pass (an address the endpoints refuse) is said once, not every few seconds.
  let lastProblem = '';
  const timer = setInterval(() => {
    reconcile().then(() => (lastProblem = ''), (err: Error) => {
      if (err.message !== lastProblem) log.warn(`could not renew this server's Lease or the kubernetes endpoints: ${err.message}`);
      lastProblem = err.message;
    });
  }, opts.renewMs ?? RENEW_MS);
  timer.unref();

  return {
    reconcile,
    stop: async () => {
      clearInterval(timer);
      await running.catch(() => {});
      stopped = true;
      try {
        await client.delete(`${LEASES}/${name}`);
        await writeEndpoints(await liveMembers(false));
      } catch (err) {
        log.warn(`could not take this server out of the kubernetes endpoints: ${(err as Error).message}`);
      } finally {
        client.close();
      }
    },
  };
}
