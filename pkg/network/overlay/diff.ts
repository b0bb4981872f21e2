/**
 * What the kernel holds (as `ip -j` and `bridge -j` print it) against what it should hold,
 * turned into `ip -batch` / `bridge -batch` lines that fix only the differences: an agent
 * restart over a working network changes nothing, and a node that left loses exactly its
 * entries. Pure, so unit tests feed it captured output.
 */
import { ROUTE_PROTO, VXLAN_DEVICE } from './backend.ts';
import type { FdbEntry, Neighbour, Route } from './peers.ts';

type Obj = Record<string, any>;

function list(json: unknown): Obj[] {
  return Array.isArray(json) ? (json.filter((e) => e !== null && typeof e === 'object') as Obj[]) : [];
}

/** Our routes, from `ip -j -4 route show proto 116`. */
export function parseRoutes(json: unknown): Route[] {
  return list(json)
    .filter((r) => typeof r.dst === 'string' && typeof r.gateway === 'string' && typeof r.dev === 'string')
    .map((r) => ({
      // A /32 destination prints without its prefix.
      dst: r.dst.includes('/') ? r.dst : `${r.dst}/32`,
      gateway: r.gateway,
      dev: r.dev,
      onlink: Array.isArray(r.flags) && r.flags.includes('onlink'),
    }));
}

/** The permanent neighbours of tsk.1, from `ip -j -4 neigh show dev tsk.1` (the kernel's own learned ones age out). */
export function parseNeighbours(json: unknown): Neighbour[] {
  return list(json)
    .filter((n) => typeof n.dst === 'string' && typeof n.lladdr === 'string' && Array.isArray(n.state) && n.state.includes('PERMANENT'))
    .map((n) => ({ ip: n.dst, mac: n.lladdr.toLowerCase() }));
}

/** The tunnel's forwarding entries with a remote address, from `bridge -j fdb show dev tsk.1`. */
export function parseFdb(json: unknown): FdbEntry[] {
  return list(json)
    .filter((f) => typeof f.mac === 'string' && typeof f.dst === 'string')
    .map((f) => ({ mac: f.mac.toLowerCase(), dst: f.dst }));
}

function routeLine(verb: 'replace' | 'del', r: Route): string {
  return `route ${verb} ${r.dst} via ${r.gateway} dev ${r.dev}${r.onlink ? ' onlink' : ''} proto ${ROUTE_PROTO}`;
}

const sameRoute = (a: Route, b: Route) => a.dst === b.dst && a.gateway === b.gateway && a.dev === b.dev && a.onlink === b.onlink;

/** `ip -batch` lines: removals of routes nobody wants, then replacements of missing or changed ones. */
export function planRoutes(current: Route[], desired: Route[]): string[] {
  const wanted = new Set(desired.map((r) => r.dst));
  const removals = current.filter((r) => !wanted.has(r.dst)).map((r) => routeLine('del', r));
  const changes = desired.filter((d) => !current.some((c) => sameRoute(c, d))).map((r) => routeLine('replace', r));
  return [...removals, ...changes];
}

/** `ip -batch` lines for tsk.1's neighbour table. */
export function planNeighbours(current: Neighbour[], desired: Neighbour[]): string[] {
  const wanted = new Map(desired.map((n) => [n.ip, n.mac]));
  const removals = current.filter((n) => !wanted.has(n.ip)).map((n) => `neigh del ${n.ip} dev ${VXLAN_DEVICE}`);
  const changes = desired
    .filter((d) => !current.some((c) => c.ip === d.ip && c.mac === d.mac))
    .map((n) => `neigh replace ${n.ip} lladdr ${n.mac} dev ${VXLAN_DEVICE} nud permanent`);
  return [...removals, ...changes];
}

/**
 * `bridge -batch` lines for tsk.1's forwarding database. A MAC may hold several remote
 * addresses (fdb append), and `replace` changes only the first: stale pairs are deleted first
 * so each wanted MAC ends with exactly one.
 */
export function planFdb(current: FdbEntry[], desired: FdbEntry[]): string[] {
  const same = (a: FdbEntry, b: FdbEntry) => a.mac === b.mac && a.dst === b.dst;
  const removals = current.filter((c) => !desired.some((d) => same(c, d))).map((f) => `fdb del ${f.mac} dev ${VXLAN_DEVICE} dst ${f.dst} self`);
  const changes = desired
    .filter((d) => !current.some((c) => same(c, d)))
    .map((f) => `fdb replace ${f.mac} dev ${VXLAN_DEVICE} dst ${f.dst} self permanent`);
  return [...removals, ...changes];
}
