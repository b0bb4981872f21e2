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
 * Whether two values serialise to the same JSON up to key order: undefined members count as
 * absent (JSON.stringify drops them), as Go structs and maps compare. A walk that stops at
 * the first difference; every write compares the stored object with the next one.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let defined = 0;
  for (const k in x) {
    if (x[k] === undefined) continue;
    defined++;
    if (!sameJson(x[k], y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) defined--;
  return defined === 0;
}

/** Everything but metadata and status, to tell whether the spec changed. */
function sameSpec(a: KObject, b: KObject): boolean {
  const { metadata: _ma, status: _sa, ...restA } = a;
  const { metadata: _mb, status: _sb, ...restB } = b;
  return sameJson(restA, restB);
}

/** Bumps generation when the spec changed; call once the new object is final (defaulted). */
export function updateGeneration(obj: KObject, old: KObject): void {
  const m = obj.metadata;
  if (old.metadata.generation === undefined) delete m.generation;
  else m.generation = sameSpec(obj, old) ? old.metadata.generation : old.metadata.generation + 1;
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
  const { resourceVersion: _ra, managedFields: fa, ...ma } = a.metadata;
  const { resourceVersion: _rb, managedFields: fb, ...mb } = b.metadata;
  if (!sameJson({ ...a, metadata: ma }, { ...b, metadata: mb })) return false;
  const untimed = (fields: typeof fa) => fields?.map(({ time: _t, ...f }) => f);
  return sameJson(untimed(fa), untimed(fb));
}
