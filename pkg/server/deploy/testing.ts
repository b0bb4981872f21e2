/**
 * A fake API for the deploy controller's unit tests: objects and records live in maps, CRD
 * kinds are served once the CRD is Established and forgetKinds() is called, and hooks let a
 * test fail an apply or act in the middle of one (a lost Lease).
 */
import type { KObject } from '../../api/types.ts';
import type { Logger } from '../../log/log.ts';
import type { AddonRecord, DeployCluster } from './deployer.ts';
import { refKey, type ObjectRef } from './manifest.ts';

const NAMESPACED = new Set(['ConfigMap', 'Service', 'Widget']);

/** The API as a map of objects; CRD kinds appear once the CRD is applied and forgetKinds() is called. */
export class FakeCluster implements DeployCluster {
  objects = new Map<string, KObject>();
  records = new Map<string, AddonRecord>();
  events: string[] = [];
  calls: string[] = [];
  kinds = new Set(['v1/Namespace', 'v1/ConfigMap', 'v1/Service', 'storage.k8s.io/v1/StorageClass', 'apiextensions.k8s.io/v1/CustomResourceDefinition']);
  failApply = new Set<string>();
  /** Called before each apply, with the object's name. */
  onApply: (name: string) => void = () => {};
  private learnt = new Set<string>();

  key = (ref: ObjectRef) => refKey(ref);

  async scope(apiVersion: string, kind: string) {
    if (!this.kinds.has(`${apiVersion}/${kind}`) && !this.learnt.has(`${apiVersion}/${kind}`)) return undefined;
    return NAMESPACED.has(kind) ? 'Namespaced' as const : 'Cluster' as const;
  }

  async apply(obj: KObject) {
    this.calls.push(`apply ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
    this.onApply(obj.metadata.name!);
    if (this.failApply.has(obj.metadata.name!)) throw new Error(`admission refused ${obj.metadata.name}`);
    this.objects.set(this.key({ apiVersion: obj.apiVersion!, kind: obj.kind!, namespace: obj.metadata.namespace, name: obj.metadata.name! }), structuredClone(obj));
  }

  async get(ref: ObjectRef) {
    return this.objects.get(this.key(ref));
  }

  async remove(ref: ObjectRef) {
    this.calls.push(`delete ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`);
    this.objects.delete(this.key(ref));
  }

  async crdEstablished(name: string) {
    this.calls.push(`established ${name}`);
    const crd = this.objects.get(this.key({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }))! as any;
    this.pendingKinds.push(`${crd.spec.group}/${crd.spec.versions[0].name}/${crd.spec.names.kind}`);
  }

  private pendingKinds: string[] = [];
  forgetKinds() {
    for (const k of this.pendingKinds) this.learnt.add(k);
  }

  async listRecords() {
    return [...this.records.values()].map((r) => structuredClone(r));
  }

  async putRecord(r: AddonRecord) {
    this.records.set(r.source, structuredClone(r));
  }

  async removeRecord(source: string) {
    this.records.delete(source);
  }

  event(source: string, type: string, reason: string) {
    this.events.push(`${source} ${type} ${reason}`);
  }

  names(): string[] {
    return [...this.objects.values()].map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
  }
}

export function quietLog(lines: string[] = []): Logger {
  const put = (level: string) => (m: string) => lines.push(`${level} ${m}`);
  return { debug: () => {}, info: put('info'), warn: put('warn'), error: put('error') };
}

export const cm = (name: string, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}data:\n  k: v\n`;
