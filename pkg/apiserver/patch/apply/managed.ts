/**
 * metadata.managedFields in and out: one entry per manager identity (manager + operation,
 * plus apiVersion for Update, plus subresource), FieldsV1 sets, times, and Kubernetes' order
 * (Apply before Update, then oldest first, then manager, apiVersion, subresource).
 */
import type { ManagedFieldsEntry } from '../../../api/types.ts';
import { FieldSet } from './fieldpath.ts';

export interface ManagerId {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  subresource?: string;
}

export interface ManagedEntry {
  id: ManagerId;
  set: FieldSet;
  apiVersion: string;
  time?: string;
}

/** Entries by manager key; a Map keeps the live order for stable output before sorting. */
export type Managed = Map<string, ManagedEntry>;

/** BuildManagerIdentifier: appliers are one identity across API versions, updaters are not. */
export function managerKey(id: ManagerId): string {
  const key: Record<string, string> = { manager: id.manager, operation: id.operation };
  if (id.operation === 'Update' && id.apiVersion) key.apiVersion = id.apiVersion;
  if (id.subresource) key.subresource = id.subresource;
  return JSON.stringify(key);
}

/**
 * The FieldsV1 each decoded set came from. Sets are never changed in place (union and
 * difference make new ones), so an entry a write did not touch is written back as it was
 * read instead of being encoded again: most writes change one manager of several.
 */
const decodedFrom = new WeakMap<FieldSet, NonNullable<ManagedFieldsEntry['fieldsV1']>>();

export class ManagedFieldsError extends Error {
  override name = 'ManagedFieldsError';
}

export function decodeManaged(entries: readonly ManagedFieldsEntry[] | undefined): Managed {
  const managed: Managed = new Map();
  for (const entry of entries ?? []) {
    if (entry.operation !== 'Apply' && entry.operation !== 'Update') {
      throw new ManagedFieldsError(`invalid operation ${JSON.stringify(entry.operation ?? '')}`);
    }
    if (entry.fieldsType !== undefined && entry.fieldsType !== 'FieldsV1') {
      throw new ManagedFieldsError(`invalid fieldsType ${JSON.stringify(entry.fieldsType)}`);
    }
    const id: ManagerId = { manager: entry.manager ?? '', operation: entry.operation, apiVersion: entry.apiVersion, subresource: entry.subresource };
    let set: FieldSet;
    try {
      set = entry.fieldsV1 === undefined ? new FieldSet() : FieldSet.fromFieldsV1(entry.fieldsV1);
      if (entry.fieldsV1 !== undefined) decodedFrom.set(set, entry.fieldsV1);
    } catch (e) {
      throw new ManagedFieldsError(`error decoding set: ${(e as Error).message}`);
    }
    managed.set(managerKey(id), { id, set, apiVersion: entry.apiVersion ?? '', time: entry.time });
  }
  return managed;
}

/** `managedFields: []` or `[{}]` in a request clears the field managers (isResetManagedFields). */
export function isResetManagedFields(entries: readonly ManagedFieldsEntry[] | undefined): boolean {
  if (entries === undefined) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && Object.keys(entries[0]!).length === 0;
}

export function encodeManaged(managed: Managed): ManagedFieldsEntry[] | undefined {
  const entries: ManagedFieldsEntry[] = [];
  for (const e of managed.values()) {
    if (e.set.isEmpty()) continue;
    const out: ManagedFieldsEntry = { manager: e.id.manager, operation: e.id.operation, apiVersion: e.apiVersion };
    if (e.time !== undefined) out.time = e.time;
    out.fieldsType = 'FieldsV1';
    out.fieldsV1 = decodedFrom.get(e.set) ?? e.set.toFieldsV1();
    if (e.id.subresource) out.subresource = e.id.subresource;
    entries.push(out);
  }
  if (entries.length === 0) return undefined;
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  const cmp = (a = '', b = '') => (a < b ? -1 : a > b ? 1 : 0);
  return entries.sort((p, q) =>
    cmp(p.operation, q.operation) || seconds(p.time) - seconds(q.time) || cmp(p.manager, q.manager) || cmp(p.apiVersion, q.apiVersion) || cmp(p.subresource, q.subresource));
}

/** metav1.Time as it is serialized: RFC 3339 in UTC, whole seconds. */
export function formatTime(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

/** printManager: `"kubectl"`, `"kube-controller-manager" using apps/v1`, `"x" with subresource "status" using v1`. */
export function describeManager(id: ManagerId): string {
  let text = JSON.stringify(id.manager);
  if (id.subresource) text += ` with subresource ${JSON.stringify(id.subresource)}`;
  if (id.operation === 'Update') text += ` using ${id.apiVersion ?? ''}`;
  return text;
}

export const MAX_UPDATE_MANAGERS = 10;
const ANCIENT_CHANGES = 'ancient-changes';

/**
 * capManagersManager: past ten Update entries, the oldest are folded into one
 * "ancient-changes" entry per API version, which takes the newest folded time.
 */
export function capUpdateManagers(managed: Managed): void {
  const updaters = [...managed.entries()].filter(([, e]) => e.id.operation === 'Update');
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  const seconds = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  updaters.sort(([ka, a], [kb, b]) => seconds(a.time) - seconds(b.time) || (ka < kb ? -1 : ka > kb ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let count = updaters.length;
  for (const [key, entry] of updaters) {
    if (count <= MAX_UPDATE_MANAGERS) break;
    const bucketId: ManagerId = { manager: ANCIENT_CHANGES, operation: 'Update', apiVersion: entry.apiVersion };
    const bucketKey = managerKey(bucketId);
    const first = firstByVersion.get(entry.apiVersion);
    if (first === undefined) {
      firstByVersion.set(entry.apiVersion, key);
      continue;
    }
    if (!managed.has(bucketKey)) {
      const firstEntry = managed.get(first)!;
      managed.delete(first);
      managed.set(bucketKey, { ...firstEntry, id: bucketId });
    }
    const bucket = managed.get(bucketKey)!;
    managed.set(bucketKey, { id: bucketId, set: bucket.set.union(entry.set), apiVersion: entry.apiVersion, time: entry.time });
    managed.delete(key);
    count--;
  }
}
