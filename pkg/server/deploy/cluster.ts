/**
 * DeployCluster over the API: kinds are found through discovery (/api/v1, /apis/G/V), so
 * CRDs applied a moment ago work too; objects are server-side applied as field manager
 * tsk-deploy with force, which takes over fields another manager set (the file is the
 * truth, as k3s treats its manifests). Records are ConfigMaps in kube-system.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import type { EventSink } from '../../client/events.ts';
import { resourcePath } from '../../client/paths.ts';
import type { AddonRecord, DeployCluster } from './deployer.ts';
import { DeployError } from './errors.ts';
import type { ObjectRef } from './manifest.ts';
import { recordFromConfigMap, recordConfigMap, recordName, RECORD_LABEL, RECORD_NAMESPACE } from './records.ts';

export const FIELD_MANAGER = 'tsk-deploy';
const CRD_WAIT_MS = 30_000;

interface Kind {
  resource: string;
  namespaced: boolean;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export class ApiDeployCluster implements DeployCluster {
  /** groupVersion → kind → resource; a group version the server lacks maps to an empty map. */
  private readonly kinds = new Map<string, Map<string, Kind>>();

  constructor(private readonly client: Client, private readonly events: EventSink, private readonly sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))) {}

  private async discover(apiVersion: string): Promise<Map<string, Kind>> {
    const { group } = splitApiVersion(apiVersion);
    const found = new Map<string, Kind>();
    try {
      const list = await this.client.get<KObject & { resources?: { name: string; kind: string; namespaced: boolean }[] }>(group ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
      for (const r of list.resources ?? []) if (!r.name.includes('/')) found.set(r.kind, { resource: r.name, namespaced: r.namespaced });
    } catch (err) {
      if (!isClientError(err, 'NotFound')) throw err;
    }
    this.kinds.set(apiVersion, found);
    return found;
  }

  private async kind(apiVersion: string, kind: string): Promise<Kind | undefined> {
    const cached = this.kinds.get(apiVersion)?.get(kind);
    if (cached) return cached;
    // Asked again on a miss: another file may have added the CRD since.
    return (await this.discover(apiVersion)).get(kind);
  }

  private async path(ref: ObjectRef): Promise<string | undefined> {
    const kind = await this.kind(ref.apiVersion, ref.kind);
    if (!kind) return undefined;
    return resourcePath({ ...splitApiVersion(ref.apiVersion), resource: kind.resource, namespace: kind.namespaced ? ref.namespace ?? 'default' : undefined, name: ref.name });
  }

  async scope(apiVersion: string, kind: string): Promise<'Namespaced' | 'Cluster' | undefined> {
    const k = await this.kind(apiVersion, kind);
    return k ? (k.namespaced ? 'Namespaced' : 'Cluster') : undefined;
  }

  async apply(obj: KObject): Promise<void> {
    const path = await this.path({ apiVersion: obj.apiVersion!, kind: obj.kind!, namespace: obj.metadata.namespace, name: obj.metadata.name! });
    if (!path) throw new DeployError('unknown-kind', `the server has no kind ${obj.kind} in ${obj.apiVersion}`);
    await this.client.patch(path, obj, 'apply', { fieldManager: FIELD_MANAGER, force: true });
  }

  async get(ref: ObjectRef): Promise<KObject | undefined> {
    const path = await this.path(ref);
    if (!path) return undefined;
    try {
      return await this.client.get(path);
    } catch (err) {
      if (isClientError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  async remove(ref: ObjectRef): Promise<void> {
    const path = await this.path(ref);
    if (!path) return;
    await this.client.delete(path, { propagationPolicy: 'Background' }).catch((err: unknown) => {
      if (!isClientError(err, 'NotFound')) throw err;
    });
  }

  async crdEstablished(name: string): Promise<void> {
    const path = resourcePath({ group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', name });
    const deadline = Date.now() + CRD_WAIT_MS;
    for (;;) {
      const crd = await this.client.get<KObject & { status?: { conditions?: { type: string; status: string }[] } }>(path).catch(() => undefined);
      if (crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
      if (Date.now() > deadline) throw new DeployError('crd-not-established', `CustomResourceDefinition ${name} is not Established after ${CRD_WAIT_MS / 1000} s`);
      await this.sleep(100);
    }
  }

  forgetKinds(): void {
    this.kinds.clear();
  }

  private recordsPath(name?: string): string {
    return resourcePath({ version: 'v1', resource: 'configmaps', namespace: RECORD_NAMESPACE, name });
  }

  async listRecords(): Promise<AddonRecord[]> {
    const list = await this.client.list(this.recordsPath(), { labelSelector: `${RECORD_LABEL}=true` });
    return list.items.map(recordFromConfigMap).filter((r): r is AddonRecord => r !== undefined);
  }

  async putRecord(record: AddonRecord): Promise<void> {
    await this.client.patch(this.recordsPath(recordName(record.source)), recordConfigMap(record), 'apply', { fieldManager: FIELD_MANAGER, force: true });
  }

  async removeRecord(source: string): Promise<void> {
    await this.client.delete(this.recordsPath(recordName(source))).catch((err: unknown) => {
      if (!isClientError(err, 'NotFound')) throw err;
    });
  }

  event(source: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: recordName(source), namespace: RECORD_NAMESPACE } } as KObject;
    this.events.event(cm, type, reason, message);
  }
}
