/**
 * Discovery documents from the resource table: the legacy lists (/api, /apis, /apis/<g>,
 * /api/v1, /apis/<g>/<v>) and aggregated discovery (apidiscovery.k8s.io v2 and v2beta1, chosen
 * by the Accept header: kubectl 1.27–1.29 only accept v2beta1). Built once per table generation.
 */
import crypto from 'node:crypto';
import type { ResourceTable } from '../api/registry.ts';
import type { ResourceDefinition } from '../api/types.ts';

interface SubresourceInfo {
  verbs: string[];
  kind: { group: string; version: string; kind: string } | ((def: ResourceDefinition) => { group: string; version: string; kind: string });
}

const same = (def: ResourceDefinition) => ({ group: def.group, version: def.version, kind: def.kind });

const SUBRESOURCES: Record<string, SubresourceInfo> = {
  status: { verbs: ['get', 'patch', 'update'], kind: same },
  scale: { verbs: ['get', 'patch', 'update'], kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  binding: { verbs: ['create'], kind: { group: '', version: 'v1', kind: 'Binding' } },
  eviction: { verbs: ['create'], kind: { group: 'policy', version: 'v1', kind: 'Eviction' } },
  log: { verbs: ['get'], kind: { group: '', version: 'v1', kind: 'Pod' } },
  exec: { verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodExecOptions' } },
  attach: { verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodAttachOptions' } },
  portforward: { verbs: ['create', 'get'], kind: { group: '', version: 'v1', kind: 'PodPortForwardOptions' } },
  proxy: { verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: (def) => ({ group: '', version: 'v1', kind: `${def.kind}ProxyOptions` }) },
  token: { verbs: ['create'], kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' } },
  ephemeralcontainers: { verbs: ['get', 'patch', 'update'], kind: same },
  resize: { verbs: ['get', 'patch', 'update'], kind: same },
  finalize: { verbs: ['update'], kind: same },
  approval: { verbs: ['get', 'patch', 'update'], kind: same },
};

function subresourceInfo(def: ResourceDefinition, sub: string): { verbs: string[]; kind: { group: string; version: string; kind: string } } {
  const info = SUBRESOURCES[sub] ?? { verbs: ['get'], kind: same };
  return { verbs: info.verbs, kind: typeof info.kind === 'function' ? info.kind(def) : info.kind };
}

/** Kubernetes' StorageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind") of the stored version. */
export function storageVersionHash(stored: { group: string; version: string; kind: string }): string {
  return crypto.createHash('sha256').update(`${stored.group}/${stored.version}/${stored.kind}`).digest().subarray(0, 8).toString('base64');
}

/** Byte order, as Go's sort.Strings (localeCompare ignores punctuation such as '/'). */
const byBytes = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Group order in /apis and aggregated discovery: kube-apiserver's APIService group priorities
 * (higher first); groups it does not know, such as CRDs' (priority 1000), follow by name.
 */
const GROUP_PRIORITY: Record<string, number> = {
  'apiregistration.k8s.io': 18000,
  apps: 17800,
  'events.k8s.io': 17750,
  'authentication.k8s.io': 17700,
  'authorization.k8s.io': 17600,
  autoscaling: 17500,
  batch: 17400,
  'certificates.k8s.io': 17300,
  'networking.k8s.io': 17200,
  policy: 17100,
  'rbac.authorization.k8s.io': 17000,
  'storage.k8s.io': 16800,
  'admissionregistration.k8s.io': 16700,
  'apiextensions.k8s.io': 16700,
  'scheduling.k8s.io': 16600,
  'coordination.k8s.io': 16500,
  'node.k8s.io': 16300,
  'discovery.k8s.io': 16200,
  'flowcontrol.apiserver.k8s.io': 16100,
  'internal.apiserver.k8s.io': 16000,
  'resource.k8s.io': 15900,
  'storagemigration.k8s.io': 15800,
  // metrics-server's APIService asks for the lowest priority: after every custom resource group.
  'metrics.k8s.io': 100,
};

export function compareGroups(a: string, b: string): number {
  const pa = GROUP_PRIORITY[a] ?? 1000;
  const pb = GROUP_PRIORITY[b] ?? 1000;
  return pa !== pb ? pb - pa : byBytes(a, b);
}

function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export interface Documents {
  api: string;
  apis: string;
  groups: Map<string, string>;
  resourceLists: Map<string, string>;
  aggregated: { v2: { api: string; apis: string }; v2beta1: { api: string; apis: string } };
  etags: { api: string; apis: string };
}

export const DISCOVERY_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const DISCOVERY_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

export class Discovery {
  private cached?: { generation: number; docs: Documents };

  constructor(private readonly table: ResourceTable, private readonly serverAddress: () => string) {}

  docs(): Documents {
    if (this.cached?.generation !== this.table.generation) this.cached = { generation: this.table.generation, docs: this.build() };
    return this.cached.docs;
  }

  private build(): Documents {
    const defs = this.table.all().sort((a, b) => byBytes(a.plural, b.plural));
    const groups = this.table.groups();
    const byGv = new Map<string, ResourceDefinition[]>();
    for (const d of defs) {
      const gv = groupVersion(d.group, d.version);
      byGv.set(gv, [...(byGv.get(gv) ?? []), d]);
    }
    const resourceLists = new Map<string, string>();
    for (const [gv, list] of byGv) {
      const resources: Record<string, unknown>[] = [];
      for (const d of list) {
        const r: Record<string, unknown> = { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs };
        if (d.shortNames?.length) r.shortNames = d.shortNames;
        if (d.categories?.length) r.categories = d.categories;
        if (!d.virtual) r.storageVersionHash = storageVersionHash(this.table.storedVersion(d.storagePath) ?? d);
        resources.push(r);
        for (const sub of [...(d.subresources ?? [])].sort(byBytes)) {
          const info = subresourceInfo(d, sub);
          const s: Record<string, unknown> = { name: `${d.plural}/${sub}`, singularName: '', namespaced: d.namespaced, kind: info.kind.kind, verbs: info.verbs };
          if (info.kind.group !== d.group || info.kind.version !== d.version) {
            s.group = info.kind.group;
            s.version = info.kind.version;
          }
          resources.push(s);
        }
      }
      resourceLists.set(gv, JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources }));
    }
    const apiGroups: Record<string, unknown>[] = [];
    const groupDocs = new Map<string, string>();
    for (const [group, versions] of [...groups].sort(([a], [b]) => compareGroups(a, b))) {
      if (group === '') continue;
      const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
      const g = { name: group, versions: vs, preferredVersion: vs[0] };
      apiGroups.push(g);
      groupDocs.set(group, JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...g }));
    }
    const api = JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.serverAddress() }] });
    const apis = JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroups });
    const aggregated = (apiVersion: string) => {
      const item = (group: string, versions: string[]) => ({
        metadata: group === '' ? { creationTimestamp: null } : { name: group, creationTimestamp: null },
        versions: versions.map((v) => ({
          version: v,
          resources: (byGv.get(groupVersion(group, v)) ?? []).map((d) => {
            const r: Record<string, unknown> = {
              resource: d.plural,
              responseKind: { group: d.group, version: d.version, kind: d.kind },
              scope: d.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: d.singular,
              verbs: d.verbs,
            };
            if (d.shortNames?.length) r.shortNames = d.shortNames;
            if (d.categories?.length) r.categories = d.categories;
            if (d.subresources?.length) {
              r.subresources = [...d.subresources].sort(byBytes).map((sub) => {
                const info = subresourceInfo(d, sub);
                return { subresource: sub, responseKind: info.kind, verbs: info.verbs };
              });
            }
            return r;
          }),
          freshness: 'Current',
        })),
      });
      const core = groups.get('');
      const apiDoc = { kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items: core ? [item('', core)] : [] };
      const groupItems = [...groups].filter(([g]) => g !== '').sort(([a], [b]) => compareGroups(a, b)).map(([g, vs]) => item(g, vs));
      return { api: JSON.stringify(apiDoc), apis: JSON.stringify({ kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items: groupItems }) };
    };
    const v2 = aggregated('apidiscovery.k8s.io/v2');
    const etag = (s: string) => `"${crypto.createHash('sha256').update(s).digest('hex').slice(0, 32)}"`;
    return {
      api,
      apis,
      groups: groupDocs,
      resourceLists,
      aggregated: { v2, v2beta1: aggregated('apidiscovery.k8s.io/v2beta1') },
      etags: { api: etag(v2.api), apis: etag(v2.apis) },
    };
  }
}

/** Which aggregated discovery form the Accept header asks for, if any. */
export function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const p = part.replace(/\s/g, '');
    if (!p.includes('g=apidiscovery.k8s.io') || !p.includes('as=APIGroupDiscoveryList')) continue;
    if (p.includes('v=v2beta1')) return 'v2beta1';
    if (p.includes('v=v2')) return 'v2';
  }
  return undefined;
}
