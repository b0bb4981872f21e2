/**
 * The rules, as a pure function of the service ports: kube-proxy's iptables layout with TSK-
 * names. nat: TSK-SERVICES matches each virtual IP:port and jumps to the service's chain
 * (TSK-SVC cluster-policy endpoints, TSK-SVL local ones, TSK-EXT for NodePort, external and
 * LoadBalancer IPs); each endpoint's TSK-SEP chain marks hairpin traffic for masquerade and
 * DNATs; random balancing is a cascade of `statistic --probability 1/(n-i)`. filter:
 * REJECT for Services without endpoints, DROP for a Local policy without local endpoints,
 * and ACCEPT in FORWARD for marked traffic.
 *
 * Each chain's rules are returned separately so the proxier can rewrite only those that changed.
 */
import { EXTERNAL_SERVICES, FORWARD, MARK_MASQ, MASQ_MARK, NODEPORTS, POSTROUTING, SERVICES, chainName } from './chains.ts';
import type { Endpoint, ServicePort } from './model.ts';

export interface RuleOptions {
  /** The pod range: ClusterIP traffic from outside it is masqueraded. */
  clusterCidr: string;
  family: 4 | 6;
}

/** Chain name → its rules ("-A CHAIN …" lines), in the order they must be written. */
export type Chains = Map<string, string[]>;

export interface RuleSet {
  nat: Chains;
  filter: Chains;
}

/** The endpoints each traffic policy uses, as kube-proxy's CategorizeEndpoints picks them. */
export interface Categorized {
  cluster: Endpoint[];
  local: Endpoint[];
  /** Endpoints any policy uses: each gets a TSK-SEP chain. */
  reachable: Endpoint[];
  /** Some endpoint is usable anywhere in the cluster; false means REJECT. */
  hasEndpoints: boolean;
}

const readyOnly = (e: Endpoint) => e.ready;
const servingTerminating = (e: Endpoint) => !e.ready && e.serving && e.terminating;

export function externallyAccessible(sp: ServicePort): boolean {
  return sp.nodePort > 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
}

/**
 * Ready endpoints; only when there is none anywhere (or on this node, for Local), the serving
 * ones that are terminating, so connections drain to pods shutting down gracefully.
 */
export function categorize(sp: ServicePort): Categorized {
  const accessible = externallyAccessible(sp);
  const externalLocal = sp.externalLocal && accessible;
  // Even with externalTrafficPolicy Local, traffic from pods and the node itself to an external
  // address goes to every endpoint (kube-proxy's short-circuit), so Cluster endpoints are needed.
  const usesCluster = !sp.internalLocal || accessible;
  const usesLocal = sp.internalLocal || externalLocal;
  const anyReady = sp.endpoints.some(readyOnly);
  const hasEndpoints = anyReady || sp.endpoints.some(servingTerminating);
  const cluster = usesCluster ? sp.endpoints.filter(anyReady ? readyOnly : servingTerminating) : [];
  let local: Endpoint[] = [];
  if (usesLocal) {
    const mine = sp.endpoints.filter((e) => e.local);
    local = mine.filter(mine.some(readyOnly) ? readyOnly : servingTerminating);
  }
  const reachable = [...new Set([...cluster, ...local])].sort((a, b) => sp.endpoints.indexOf(a) - sp.endpoints.indexOf(b));
  return { cluster, local, reachable, hasEndpoints };
}

/** kube-proxy's "%0.10f" of 1/n. */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

function hostCidr(ip: string, family: 4 | 6): string {
  return `${ip}/${family === 4 ? 32 : 128}`;
}

function endpointAddress(e: Endpoint, family: 4 | 6): string {
  return family === 4 ? `${e.ip}:${e.port}` : `[${e.ip}]:${e.port}`;
}

function comment(text: string): string {
  return `-m comment --comment "${text}"`;
}

function add(chains: Chains, chain: string, rule: string): void {
  let rules = chains.get(chain);
  if (!rules) chains.set(chain, (rules = []));
  rules.push(`-A ${chain} ${rule}`);
}

/** The rules every sync writes whatever the Services: entry chains, masquerade, forwarding. */
function baseChains(): RuleSet {
  const nat: Chains = new Map([[SERVICES, []], [NODEPORTS, []], [POSTROUTING, []], [MARK_MASQ, []]]);
  const filter: Chains = new Map([[SERVICES, []], [EXTERNAL_SERVICES, []], [FORWARD, []]]);
  add(nat, MARK_MASQ, `-j MARK --or-mark ${MASQ_MARK}`);
  add(nat, POSTROUTING, `-m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  // Clear the bit so a packet that comes back through here (e.g. encapsulated) is not SNATed again.
  add(nat, POSTROUTING, `-j MARK --xor-mark ${MASQ_MARK}`);
  add(nat, POSTROUTING, `${comment('tsk service traffic requiring SNAT')} -j MASQUERADE --random-fully`);
  add(filter, FORWARD, `${comment('tsk forwarding rules')} -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`);
  add(filter, FORWARD, `${comment('tsk forwarding conntrack rule')} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
  return { nat, filter };
}

function balance(nat: Chains, chain: string, sp: ServicePort, endpoints: Endpoint[], family: 4 | 6): void {
  nat.set(chain, nat.get(chain) ?? []);
  const sep = (e: Endpoint) => chainName('SEP', sp.id, sp.protocol, endpointAddress(e, family));
  if (sp.affinitySeconds !== undefined) {
    for (const e of endpoints) {
      add(nat, chain, `${comment(`${sp.id} -> ${endpointAddress(e, family)}`)} -m recent --name ${sep(e)} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${sep(e)}`);
    }
  }
  endpoints.forEach((e, i) => {
    const pick = i < endpoints.length - 1 ? ` -m statistic --mode random --probability ${probability(endpoints.length - i)}` : '';
    add(nat, chain, `${comment(`${sp.id} -> ${endpointAddress(e, family)}`)}${pick} -j ${sep(e)}`);
  });
}

function servicePortRules(sp: ServicePort, options: RuleOptions): RuleSet {
  const set: RuleSet = { nat: new Map(), filter: new Map() };
  const { nat, filter } = set;
  const { family } = options;
  const proto = sp.protocol.toLowerCase();
  const match = `-p ${proto} -m ${proto}`;
  const { cluster, local, reachable, hasEndpoints } = categorize(sp);
  const svc = chainName('SVC', sp.id, sp.protocol);
  const svl = chainName('SVL', sp.id, sp.protocol);
  const ext = chainName('EXT', sp.id, sp.protocol);
  const internalChain = sp.internalLocal ? svl : svc;
  const hasInternal = hasEndpoints && (!sp.internalLocal || local.length > 0);
  const externalLocal = sp.externalLocal && externallyAccessible(sp);
  const hasExternal = hasEndpoints && (!externalLocal || local.length > 0);
  const usesExt = hasEndpoints && externallyAccessible(sp);
  // No endpoints at all: REJECT (the client hears "connection refused" at once); endpoints, but
  // none on this node for a Local policy: DROP, as if the node were not there.
  const refuse = hasEndpoints ? 'DROP' : 'REJECT';
  const filterComment = comment(`${sp.id} has no ${hasEndpoints ? 'local ' : ''}endpoints`);
  const vip = `-d ${hostCidr(sp.clusterIP, family)} ${match} --dport ${sp.port}`;

  if (hasInternal) {
    add(nat, SERVICES, `${comment(`${sp.id} cluster IP`)} ${vip} -j ${internalChain}`);
    // Off-cluster clients of a ClusterIP (a route to the service range through a node) may be
    // sent to another node: SNAT them so replies come back the same way.
    add(nat, internalChain, `${comment(`${sp.id} cluster IP`)} ! -s ${options.clusterCidr} ${vip} -j ${MARK_MASQ}`);
  } else {
    add(filter, SERVICES, `${filterComment} ${vip} -j ${refuse}`);
  }

  for (const [ips, what] of [[sp.externalIPs, 'external IP'], [sp.loadBalancerIPs, 'loadbalancer IP']] as const) {
    for (const ip of ips) {
      const dest = `-d ${hostCidr(ip, family)} ${match} --dport ${sp.port}`;
      if (usesExt) add(nat, SERVICES, `${comment(`${sp.id} ${what}`)} ${dest} -j ${ext}`);
      if (!hasExternal) add(filter, EXTERNAL_SERVICES, `${filterComment} ${dest} -j ${refuse}`);
    }
  }
  if (sp.nodePort > 0) {
    if (usesExt) add(nat, NODEPORTS, `${comment(sp.id)} ${match} --dport ${sp.nodePort} -j ${ext}`);
    if (!hasExternal) add(filter, EXTERNAL_SERVICES, `${filterComment} -m addrtype --dst-type LOCAL ${match} --dport ${sp.nodePort} -j ${refuse}`);
  }

  if (usesExt) {
    if (!externalLocal) {
      add(nat, ext, `${comment(`masquerade traffic for ${sp.id} external destinations`)} -j ${MARK_MASQ}`);
    } else {
      // Pods and the node itself reaching an external address are treated as if they had gone
      // out to a load balancer and back: every endpoint, whatever the policy.
      add(nat, ext, `${comment(`pod traffic for ${sp.id} external destinations`)} -s ${options.clusterCidr} -j ${svc}`);
      add(nat, ext, `${comment(`masquerade LOCAL traffic for ${sp.id} external destinations`)} -m addrtype --src-type LOCAL -j ${MARK_MASQ}`);
      add(nat, ext, `${comment(`route LOCAL traffic for ${sp.id} external destinations`)} -m addrtype --src-type LOCAL -j ${svc}`);
    }
    if (hasExternal) add(nat, ext, `-j ${externalLocal ? svl : svc}`);
  }

  if (cluster.length > 0) balance(nat, svc, sp, cluster, family);
  if (local.length > 0) balance(nat, svl, sp, local, family);
  for (const e of reachable) {
    const sep = chainName('SEP', sp.id, sp.protocol, endpointAddress(e, family));
    // Hairpin: an endpoint reaching itself through the Service must see the reply come from
    // the virtual IP, so its own address is masqueraded.
    add(nat, sep, `${comment(sp.id)} -s ${hostCidr(e.ip, family)} -j ${MARK_MASQ}`);
    const affinity = sp.affinitySeconds !== undefined ? ` -m recent --name ${sep} --set` : '';
    add(nat, sep, `${comment(sp.id)} ${match}${affinity} -j DNAT --to-destination ${endpointAddress(e, family)}`);
  }
  return set;
}

/**
 * Rendered service ports by their content. A sync renders only the ports that changed; the
 * others' chains come back as the same arrays, which the proxier compares by reference.
 */
export type RenderCache = Map<string, RuleSet>;

const TOP = new Set<string>([SERVICES, NODEPORTS, POSTROUTING, MARK_MASQ, EXTERNAL_SERVICES, FORWARD]);

/** Appends a service port's rules to the shared chains, and takes its own chains as they are. */
function merge(into: RuleSet, part: RuleSet): void {
  for (const table of ['nat', 'filter'] as const) {
    for (const [chain, rules] of part[table]) {
      if (TOP.has(chain)) into[table].get(chain)!.push(...rules);
      else into[table].set(chain, rules);
    }
  }
}

/** `cache` (kept by the caller across calls with the same options) ends up holding exactly `ports`. */
export function renderRules(ports: ServicePort[], options: RuleOptions, cache?: RenderCache): RuleSet {
  const set = baseChains();
  const used = new Set<string>();
  for (const sp of ports) {
    if (!cache) {
      merge(set, servicePortRules(sp, options));
      continue;
    }
    const key = JSON.stringify(sp);
    used.add(key);
    let part = cache.get(key);
    if (!part) cache.set(key, (part = servicePortRules(sp, options)));
    merge(set, part);
  }
  if (cache) for (const key of cache.keys()) if (!used.has(key)) cache.delete(key);
  // Last: NodePorts are any local address's port, so every virtual IP must be matched before.
  const loopback = options.family === 4 ? '127.0.0.0/8' : '::1/128';
  add(set.nat, SERVICES, `${comment('tsk service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL ! -d ${loopback} -j ${NODEPORTS}`);
  return set;
}

/** iptables-restore input declaring and filling `chains` (for tests and full syncs). */
export function restoreText(chains: Chains, names: Iterable<string> = chains.keys()): string {
  const list = [...names];
  return [...list.map((name) => `:${name} - [0:0]`), ...list.flatMap((name) => chains.get(name) ?? [])].join('\n') + '\n';
}
