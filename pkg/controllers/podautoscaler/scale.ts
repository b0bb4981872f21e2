/**
 * The scale subresource of an HPA's scaleTargetRef, found the way upstream's RESTMapper finds
 * it: the kind is looked up in discovery for the reference's group (its given version first,
 * then the group's other versions), so Deployments, ReplicaSets, StatefulSets and any custom
 * resource with a scale subresource work alike. Discovery is kept for a while (upstream
 * reloads its mapper every 30 s) and read again at once when a kind is not in it.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { resourcePath } from '../../client/paths.ts';
import { AutoscalerError } from './replicas.ts';

export interface ScaleTargetRef {
  apiVersion?: string;
  kind: string;
  name: string;
}

export interface Scale {
  /** The scale subresource's path, for the update. */
  path: string;
  obj: KObject;
  specReplicas: number;
  statusReplicas: number;
  /** status.selector: a label selector string; '' when the target has none. */
  selector: string;
}

export interface ScaleClient {
  get(namespace: string, ref: ScaleTargetRef): Promise<Scale>;
  /** Writes spec.replicas through the scale subresource. */
  update(scale: Scale, replicas: number): Promise<void>;
}

interface ResourceList {
  resources?: { name: string; kind: string }[];
}

const DISCOVERY_TTL_MS = 30_000;

/** "apps/v1" → { group: 'apps', version: 'v1' }; "v1" and "" (no apiVersion given) → the core group. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '') return { group: '', version: 'v1' };
  const parts = apiVersion.split('/');
  if (parts.length === 1 && parts[0]) return { group: '', version: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { group: parts[0], version: parts[1] };
  throw new AutoscalerError(`unexpected GroupVersion string: ${apiVersion}`);
}

export class ApiScaleClient implements ScaleClient {
  private readonly lists = new Map<string, { at: number; list: ResourceList | undefined }>();

  constructor(private readonly client: Client, private readonly now: () => number = Date.now) {}

  async get(namespace: string, ref: ScaleTargetRef): Promise<Scale> {
    const { group, version } = parseApiVersion(ref.apiVersion ?? '');
    const resource = await this.resourceFor(group, version, ref.kind);
    const path = resourcePath({ group, version: resource.version, resource: resource.plural, namespace, name: ref.name, subresource: 'scale' });
    const obj = await this.client.get(path);
    return {
      path,
      obj,
      specReplicas: Number(obj.spec?.replicas ?? 0),
      statusReplicas: Number(obj.status?.replicas ?? 0),
      selector: typeof obj.status?.selector === 'string' ? obj.status.selector : '',
    };
  }

  async update(scale: Scale, replicas: number): Promise<void> {
    await this.client.update(scale.path, { ...scale.obj, spec: { ...scale.obj.spec, replicas } });
  }

  private async resourceFor(group: string, version: string, kind: string): Promise<{ version: string; plural: string }> {
    const groupName = group || 'core';
    for (const fresh of [false, true]) {
      const versions = [version, ...(await this.otherVersions(group, version, fresh))];
      for (const v of versions) {
        const list = await this.resourceList(group, v, fresh);
        const found = list?.resources?.find((r) => r.kind === kind && !r.name.includes('/'));
        if (found && list?.resources?.some((r) => r.name === `${found.name}/scale`)) return { version: v, plural: found.name };
        if (found) throw new AutoscalerError(`${found.name}.${groupName} has no scale subresource`);
      }
    }
    return Promise.reject(new AutoscalerError(`no matches for kind "${kind}" in group "${group}"`));
  }

  private async otherVersions(group: string, version: string, fresh: boolean): Promise<string[]> {
    if (!group) return [];
    const doc = await this.cached(`/apis/${group}`, fresh);
    const versions = ((doc as { versions?: { version: string }[] } | undefined)?.versions ?? []).map((v) => v.version);
    return versions.filter((v) => v !== version);
  }

  private resourceList(group: string, version: string, fresh: boolean): Promise<ResourceList | undefined> {
    return this.cached(group ? `/apis/${group}/${version}` : `/api/${version}`, fresh) as Promise<ResourceList | undefined>;
  }

  /** A discovery document, or undefined when the server does not serve it (404). */
  private async cached(path: string, fresh: boolean): Promise<unknown> {
    const hit = this.lists.get(path);
    if (hit && !fresh && this.now() - hit.at < DISCOVERY_TTL_MS) return hit.list;
    let list: ResourceList | undefined;
    try {
      list = await this.client.request<ResourceList>('GET', path);
    } catch (err) {
      if ((err as { code?: number }).code !== 404) throw err;
    }
    this.lists.set(path, { at: this.now(), list });
    return list;
  }
}
