/**
 * What the generic store does to every object's metadata, whatever its kind: system fields
 * set on create and kept on update, generation, generateName, and the spec/status split.
 */
import crypto from 'node:crypto';
import type { KObject, ResourceDefinition } from '../../api/types.ts';

/** Kubernetes' timestamps have second precision: 2024-01-02T03:04:05Z. */
export function timestamp(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** utilrand.String's alphabet: no vowels (no words) and no look-alike characters. */
const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(base: string): string {
  const prefix = base.length > 58 ? base.slice(0, 58) : base;
  let suffix = '';
  const bytes = crypto.randomBytes(5);
  for (const b of bytes) suffix += GENERATE_ALPHABET[b % GENERATE_ALPHABET.length];
  return prefix + suffix;
}

/**
 * Kinds outside the core group whose strategies leave metadata.generation alone although they
 * have a spec (Kubernetes' lease, CSR, CSIDriver, CSINode and VolumeAttachment strategies).
 */
const UNTRACKED_GENERATION = new Set([
  'coordination.k8s.io/Lease',
  'coordination.k8s.io/LeaseCandidate',
  'certificates.k8s.io/CertificateSigningRequest',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
]);

/**
 * Whether the kind tracks metadata.generation: objects with a spec outside the core group
 * (but for the kinds above), and core Pods and ReplicationControllers, as in Kubernetes.
 */
export function tracksGeneration(def: ResourceDefinition, obj: KObject): boolean {
  if (def.group === '') return def.kind === 'Pod' || def.kind === 'ReplicationController';
  if (UNTRACKED_GENERATION.has(`${def.group}/${def.kind}`)) return false;
  return obj.spec !== undefined;
}

export function hasStatusSubresource(def: ResourceDefinition): boolean {
  return def.subresources?.includes('status') ?? false;
}

/**
 * JSON with object keys sorted: two values that differ only in key order (a client's field
 * order against the stored one) compare equal, as Go structs and maps do.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** Everything but metadata and status, to tell whether the spec changed. */
export function specOf(obj: KObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return canonicalJson(rest);
}

/** Bumps generation when the spec changed; call once the new object is final (defaulted). */
export function updateGeneration(obj: KObject, old: KObject): void {
  const m = obj.metadata;
  if (old.metadata.generation === undefined) delete m.generation;
  else m.generation = specOf(obj) !== specOf(old) ? old.metadata.generation + 1 : old.metadata.generation;
}

/**
 * ObjectMeta's maps and lists are omitempty in Kubernetes: `kubectl label x a-` on the last
 * label leaves no `labels: {}` behind. (Other kinds' empty fields are still kept: NOTES.md.)
 */
export function dropEmptyMeta(obj: KObject): void {
  const m = obj.metadata as Record<string, unknown>;
  for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences', 'managedFields']) {
    const v = m[field];
    if (v !== undefined && v !== null && typeof v === 'object' && Object.keys(v).length === 0) delete m[field];
  }
}

export function prepareCreateMeta(def: ResourceDefinition, obj: KObject, now: Date): void {
  const m = obj.metadata;
  m.uid = crypto.randomUUID();
  m.creationTimestamp = timestamp(now);
  delete m.resourceVersion;
  delete m.selfLink;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  if (tracksGeneration(def, obj)) m.generation = 1;
  else delete m.generation;
  if (hasStatusSubresource(def)) delete obj.status;
}

/**
 * Keeps what a client may not change on update (uid, creationTimestamp, deletion fields, the
 * half of the object another endpoint owns) and bumps generation when the spec changed.
 */
export function prepareUpdateMeta(def: ResourceDefinition, obj: KObject, old: KObject, subresource: string): KObject {
  let next = obj;
  if (subresource === 'status') {
    next = { ...old, metadata: { ...old.metadata }, status: obj.status };
    if (next.status === undefined) delete next.status;
    // Kubernetes' Deployment status strategy resets only spec and labels: the deployment
    // controller records deployment.kubernetes.io/revision through status (a spec update would bump generation).
    if (def.group === 'apps' && def.kind === 'Deployment') {
      if (obj.metadata.annotations === undefined) delete next.metadata.annotations;
      else next.metadata.annotations = obj.metadata.annotations;
    }
  } else if (hasStatusSubresource(def) && subresource === '') {
    next = { ...obj };
    if (old.status === undefined) delete next.status;
    else next.status = old.status;
  }
  const m = next.metadata;
  m.uid = old.metadata.uid;
  m.creationTimestamp = old.metadata.creationTimestamp;
  m.namespace = old.metadata.namespace;
  m.name = old.metadata.name;
  delete m.selfLink;
  if (old.metadata.deletionTimestamp !== undefined) m.deletionTimestamp = old.metadata.deletionTimestamp;
  else delete m.deletionTimestamp;
  if (old.metadata.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  else delete m.deletionGracePeriodSeconds;
  updateGeneration(next, old);
  return next;
}

/** Two versions equal but for resourceVersion and managedFields times: the write is a no-op. */
export function sameObject(a: KObject, b: KObject): boolean {
  const strip = (o: KObject): string => {
    const { resourceVersion: _rv, managedFields, ...m } = o.metadata;
    const fields = managedFields?.map(({ time: _t, ...f }) => f);
    return canonicalJson({ ...o, metadata: { ...m, managedFields: fields } });
  };
  return strip(a) === strip(b);
}
