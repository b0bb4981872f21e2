/**
 * One manifest file's content as the objects to apply: YAML (any number of documents) or
 * JSON, where a `*List` kind stands for its items, as kubectl apply reads files. A file is
 * taken whole or not at all: one bad document makes the whole file an error, so a typo never
 * looks like the removal of every object after it (which would prune them).
 */
import crypto from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import type { KObject } from '../../api/types.ts';
import { DeployError } from './errors.ts';

/** What identifies an applied object across versions of a file. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  /** Absent for cluster-scoped objects and for namespaced ones before the default is filled in. */
  namespace?: string;
  name: string;
}

export function refOf(obj: KObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion!, kind: obj.kind!, name: obj.metadata.name! };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}

/** The group only: an object keeps its identity when a file moves it to another version. */
export function refKey(ref: ObjectRef): string {
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  return `${group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

export function checksum(content: string | Buffer): string {
  return crypto.createHash('sha256').update(content).digest('hex');
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The objects of one decoded document: its items when it is a List, else itself. */
function objectsOf(doc: unknown, where: string): KObject[] {
  if (doc === null || doc === undefined) return [];
  if (!isObject(doc)) throw new DeployError('parse', `${where}: not an object`);
  if (typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items)) {
    return doc.items.flatMap((item, i) => objectsOf(item, `${where}, item ${i}`));
  }
  if (typeof doc.apiVersion !== 'string' || doc.apiVersion === '') throw new DeployError('parse', `${where}: apiVersion is missing`);
  if (typeof doc.kind !== 'string' || doc.kind === '') throw new DeployError('parse', `${where}: kind is missing`);
  const meta = doc.metadata;
  if (!isObject(meta) || typeof meta.name !== 'string' || meta.name === '') {
    throw new DeployError('parse', `${where}: ${doc.kind} has no metadata.name (generateName cannot be applied)`);
  }
  if (meta.namespace !== undefined && typeof meta.namespace !== 'string') throw new DeployError('parse', `${where}: metadata.namespace is not a string`);
  return [doc as unknown as KObject];
}

/** Parses a whole file; throws DeployError('parse') naming the document that is wrong. */
export function parseManifest(content: string): KObject[] {
  // prettyErrors puts "at line L, column C" into the message's first line.
  const docs = parseAllDocuments(content, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const objects: KObject[] = [];
  list.forEach((doc, i) => {
    const where = list.length > 1 ? `document ${i + 1}` : 'document';
    const error = doc.errors[0];
    if (error) throw new DeployError('parse', `${where}: ${error.message.split('\n')[0]!.replace(/:$/, '')}`);
    objects.push(...objectsOf(doc.toJS({ maxAliasCount: 100 }), where));
  });
  const seen = new Map<string, number>();
  objects.forEach((obj, i) => {
    const key = refKey(refOf(obj));
    if (seen.has(key)) throw new DeployError('parse', `${describeRef(refOf(obj))} is in the file twice`);
    seen.set(key, i);
  });
  return objects;
}

/** Kinds that others in the same file may depend on go first: Namespaces, then CRDs. */
function applyRank(ref: ObjectRef): number {
  if (ref.kind === 'Namespace' && ref.apiVersion === 'v1') return 0;
  if (ref.kind === 'CustomResourceDefinition' && ref.apiVersion.startsWith('apiextensions.k8s.io/')) return 1;
  return 2;
}

/** File order, except Namespaces and CRDs first (stable). */
export function applyOrder<T extends { ref: ObjectRef }>(items: T[]): T[] {
  return items.map((item, i) => ({ item, i })).sort((a, b) => applyRank(a.item.ref) - applyRank(b.item.ref) || a.i - b.i).map((x) => x.item);
}

/** The reverse: what lives in a Namespace or is an instance of a CRD goes before it. */
export function deleteOrder(refs: ObjectRef[]): ObjectRef[] {
  return applyOrder(refs.map((ref) => ({ ref }))).reverse().map((x) => x.ref);
}

export const isCrd = (ref: ObjectRef): boolean => applyRank(ref) === 1;
