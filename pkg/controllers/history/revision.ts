/**
 * ControllerRevisions, shared by the DaemonSet and StatefulSet controllers as Kubernetes'
 * controller/history package is: each revision snapshots the parent's pod template as a
 * strategic-merge patch (`{"spec":{"template":{…,"$patch":"replace"}}}`), which is also what
 * `kubectl rollout undo` applies to roll a parent back. Revisions are numbered; a template that
 * comes back gets its old revision renumbered instead of a copy.
 */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';
import { resourcePath } from '../../client/paths.ts';
import { controllerRef } from '../replicaset/pods.ts';

export const REVISION_HASH_LABEL = 'controller-revision-hash';

/** Kubernetes' rand.SafeEncodeString alphabet: no vowels, no look-alike digits. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with sorted keys, so equal values hash and compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** FNV-1a (32 bit) of the value, mixed with the collision count, encoded as Kubernetes encodes its hashes. */
export function hashOf(value: unknown, collisionCount = 0): string {
  let h = 0x811c9dc5;
  const mix = (bytes: Uint8Array) => {
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  };
  mix(Buffer.from(canonicalJson(value), 'utf8'));
  if (collisionCount > 0) {
    const n = Buffer.alloc(4);
    n.writeUInt32LE(collisionCount >>> 0);
    mix(n);
  }
  return [...String(h >>> 0)].map((c) => SAFE_ALPHABET[c.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** The revision data of a parent: its pod template, as a patch that replaces the template. */
export function templatePatch(parent: KObject): Record<string, unknown> {
  return { spec: { template: { ...(parent.spec?.template ?? {}), $patch: 'replace' } } };
}

/** The parent with the template a revision recorded (Kubernetes' ApplyRevision, for this one patch shape). */
export function applyRevision<T extends KObject>(parent: T, revision: KObject): T {
  const template = { ...(revision.data?.spec?.template ?? {}) };
  delete template.$patch;
  return { ...parent, spec: { ...parent.spec, template } };
}

export function revisionNumber(revision: KObject): number {
  return Number(revision.revision ?? 0);
}

/** Oldest first, by revision number then name (stable for equal numbers). */
export function sortRevisions(revisions: KObject[]): KObject[] {
  return [...revisions].sort((a, b) => revisionNumber(a) - revisionNumber(b) || String(a.metadata.name).localeCompare(String(b.metadata.name)));
}

export function nextRevisionNumber(revisions: KObject[]): number {
  return revisions.reduce((max, r) => Math.max(max, revisionNumber(r)), 0) + 1;
}

export function sameData(revision: KObject, data: unknown): boolean {
  return canonicalJson(revision.data) === canonicalJson(data);
}

const revisionsPath = (namespace: string, name?: string) => resourcePath({ group: 'apps', version: 'v1', resource: 'controllerrevisions', namespace, name });

/** Kubernetes caps the parent-name part so the revision name stays a valid name. */
export function revisionName(parentName: string, hash: string): string {
  return `${parentName.slice(0, 223)}-${hash}`;
}

export interface Revisioned {
  revision: KObject;
  /** The collision count the name was found with: the parent's status must record it. */
  collisionCount: number;
}

/**
 * Creates the parent's revision holding `data` at `number`. A name taken by a revision with the
 * same data and parent is that revision (our cache was stale); taken by anything else is a
 * hash collision, resolved as Kubernetes does by bumping the collision count into the hash.
 */
export async function createRevision(client: Client, parent: KObject, data: unknown, number: number, collisionCount: number): Promise<Revisioned> {
  const namespace = parent.metadata.namespace!;
  for (let count = collisionCount; ; count++) {
    const hash = hashOf(data, count);
    const revision: KObject = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: revisionName(parent.metadata.name!, hash),
        namespace,
        labels: { ...(parent.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
        ownerReferences: [controllerRef(parent, parent.apiVersion ?? 'apps/v1', parent.kind!)],
      },
      data,
      revision: number,
    };
    try {
      return { revision: await client.create(revisionsPath(namespace), revision), collisionCount: count };
    } catch (err) {
      if (!isClientError(err) || err.code !== 409) throw err;
    }
    const existing = await client.get(revisionsPath(namespace, revision.metadata.name));
    const ours = existing.metadata.ownerReferences?.some((o) => o.controller && o.uid === parent.metadata.uid);
    if (ours && sameData(existing, data)) return { revision: existing, collisionCount: count };
  }
}

/** Gives an existing revision a new number (a template that came back becomes the newest). */
export async function renumberRevision(client: Client, revision: KObject, number: number): Promise<KObject> {
  if (revisionNumber(revision) === number) return revision;
  return client.patch(revisionsPath(revision.metadata.namespace!, revision.metadata.name), { revision: number }, 'merge');
}

/**
 * Finds or makes the revision for the parent's current template: the newest equal revision
 * (renumbered to the top when older ones followed it), else a new one.
 */
export async function currentRevision(client: Client, parent: KObject, owned: KObject[], collisionCount: number): Promise<Revisioned> {
  const data = templatePatch(parent);
  const sorted = sortRevisions(owned);
  const equal = sorted.filter((r) => sameData(r, data));
  const next = nextRevisionNumber(sorted);
  if (equal.length > 0) {
    const newest = equal[equal.length - 1]!;
    const top = sorted[sorted.length - 1]!;
    const revision = newest === top ? newest : await renumberRevision(client, newest, next);
    return { revision, collisionCount };
  }
  return createRevision(client, parent, data, next, collisionCount);
}

/**
 * Deletes the oldest revisions beyond `limit`, sparing the ones in `live` (names or hashes
 * still carried by pods, and the parent's current ones).
 */
export async function truncateHistory(client: Client, owned: KObject[], isLive: (revision: KObject) => boolean, limit: number): Promise<void> {
  const removable = sortRevisions(owned).filter((r) => !isLive(r));
  const excess = removable.length - limit;
  for (const r of removable.slice(0, Math.max(0, excess))) {
    try {
      await client.delete(revisionsPath(r.metadata.namespace!, r.metadata.name));
    } catch (err) {
      if (!isClientError(err) || err.code !== 404) throw err;
    }
  }
}
