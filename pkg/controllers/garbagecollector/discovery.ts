/**
 * What the API serves, read from the legacy discovery documents (/api/v1, /apis, /apis/<g>/<v>)
 * as client-go's discovery client does: the garbage collector and the namespace controller
 * act on every resource the server has, CRDs included, not on a list compiled into them.
 */
import type { Client } from '../../client/client.ts';

export interface ApiResource {
  group: string;
  version: string;
  /** Plural name, e.g. configmaps. */
  resource: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}

interface ApiResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean; verbs?: string[] }[];
}

interface ApiGroupList {
  groups: { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion?: { version: string } }[];
}

export interface Discovery {
  /** Every resource (no subresources) of each group's preferred version. */
  preferred: ApiResource[];
  /** Every served group/version/kind, to resolve an ownerReference's apiVersion and kind. */
  byKind: Map<string, ApiResource>;
  /** Group versions whose document could not be read (`group/version: message`). */
  failures: string[];
}

export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}\0${kind}`;
}

export function apiVersionOf(r: Pick<ApiResource, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** True when the resource supports all of `verbs`. */
export function supports(r: ApiResource, ...verbs: string[]): boolean {
  return verbs.every((v) => r.verbs.includes(v));
}

export async function discover(client: Client): Promise<Discovery> {
  const groups = await client.request<ApiGroupList>('GET', '/apis');
  const versions: { group: string; version: string; path: string; preferred: boolean }[] = [{ group: '', version: 'v1', path: '/api/v1', preferred: true }];
  for (const g of groups.groups ?? []) {
    const preferred = g.preferredVersion?.version ?? g.versions[0]?.version;
    for (const v of g.versions) versions.push({ group: g.name, version: v.version, path: `/apis/${v.groupVersion}`, preferred: v.version === preferred });
  }
  const result: Discovery = { preferred: [], byKind: new Map(), failures: [] };
  const lists = await Promise.all(
    versions.map(async (v) => {
      try {
        return { v, list: await client.request<ApiResourceList>('GET', v.path) };
      } catch (err) {
        result.failures.push(`${apiVersionOf(v)}: ${(err as Error).message}`);
        return { v, list: undefined };
      }
    }),
  );
  for (const { v, list } of lists) {
    for (const r of list?.resources ?? []) {
      if (r.name.includes('/')) continue;
      const res: ApiResource = { group: v.group, version: v.version, resource: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs ?? [] };
      result.byKind.set(kindKey(apiVersionOf(v), r.kind), res);
      if (v.preferred) result.preferred.push(res);
    }
  }
  return result;
}
