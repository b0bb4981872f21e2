/**
 * The resource table at run time: built-in definitions plus custom resources added and removed
 * as CRDs come and go. Routes, discovery, OpenAPI and the watch cache all read it, and listen
 * for changes so that they rebuild what they derived from it.
 */
import type { GroupVersionResource, ResourceDefinition } from './types.ts';

export type TableListener = () => void;

function gvrKey(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}

export class ResourceTable {
  private readonly byGvr = new Map<string, ResourceDefinition>();
  private readonly listeners = new Set<TableListener>();
  private generationCounter = 0;

  constructor(definitions: Iterable<ResourceDefinition> = []) {
    for (const d of definitions) this.byGvr.set(gvrKey(d.group, d.version, d.plural), d);
  }

  /** Bumped on every change; consumers cache derived documents by it. */
  get generation(): number {
    return this.generationCounter;
  }

  all(): ResourceDefinition[] {
    return [...this.byGvr.values()];
  }

  get(group: string, version: string, resource: string): ResourceDefinition | undefined {
    return this.byGvr.get(gvrKey(group, version, resource));
  }

  getGvr(gvr: GroupVersionResource): ResourceDefinition | undefined {
    return this.get(gvr.group, gvr.version, gvr.resource);
  }

  /** Every definition of a kind in a group, preferred version first. */
  byKind(group: string, kind: string): ResourceDefinition[] {
    const found = this.all().filter((d) => d.group === group && d.kind === kind);
    return found.sort((a, b) => Number(b.preferred ?? !b.conversion) - Number(a.preferred ?? !a.conversion));
  }

  /** The version whose shape is stored under a storage path (the one without conversion). */
  storedVersion(storagePath: string): ResourceDefinition | undefined {
    return this.all().find((d) => d.storagePath === storagePath && !d.conversion && !d.virtual);
  }

  /** Group name → versions served, in preference order. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, ResourceDefinition[]>();
    for (const d of this.byGvr.values()) {
      const list = groups.get(d.group) ?? [];
      list.push(d);
      groups.set(d.group, list);
    }
    const out = new Map<string, string[]>();
    for (const [group, defs] of groups) {
      const versions = [...new Set(defs.map((d) => d.version))];
      versions.sort((a, b) => compareVersions(b, a));
      const preferred = defs.find((d) => d.preferred)?.version;
      if (preferred) versions.sort((a, b) => Number(b === preferred) - Number(a === preferred));
      out.set(group, versions);
    }
    return out;
  }

  add(definitions: ResourceDefinition[]): void {
    for (const d of definitions) this.byGvr.set(gvrKey(d.group, d.version, d.plural), d);
    this.changed();
  }

  remove(predicate: (d: ResourceDefinition) => boolean): void {
    let removed = false;
    for (const [key, d] of this.byGvr) {
      if (predicate(d)) {
        this.byGvr.delete(key);
        removed = true;
      }
    }
    if (removed) this.changed();
  }

  onChange(listener: TableListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.generationCounter++;
    for (const l of this.listeners) l();
  }
}

/**
 * Kubernetes' version priority: GA > beta > alpha, then by number (v2 > v1, v1beta2 > v1beta1);
 * anything not of that form sorts last, alphabetically.
 */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [0, 0, 0, v];
    const stability = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stability, Number(m[1]), Number(m[3] ?? 0), v];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
  return rb[3].localeCompare(ra[3]);
}
