/**
 * Objects are stored as JSON without resourceVersion (it is the key's modRevision, set on the
 * way out, as Kubernetes does), so a value never has to be rewritten to carry its revision.
 */
import type { KObject, ResourceDefinition } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';

export function storageKey(def: ResourceDefinition, namespace: string, name: string): string {
  return def.namespaced ? `/registry/${def.storagePath}/${namespace}/${name}` : `/registry/${def.storagePath}/${name}`;
}

/** The key prefix of a resource, or of one namespace of it (ends with '/'). */
export function storagePrefix(def: ResourceDefinition, namespace?: string): string {
  return def.namespaced && namespace ? `/registry/${def.storagePath}/${namespace}/` : `/registry/${def.storagePath}/`;
}

export function encodeForStorage(obj: KObject): Buffer {
  const { resourceVersion: _rv, selfLink: _sl, ...metadata } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata }));
}

export function decodeFromStorage(value: Buffer, revision: number, key: string): KObject {
  let obj: KObject;
  try {
    obj = JSON.parse(value.toString('utf8')) as KObject;
  } catch (err) {
    throw apiErrors.internal(`stored object at ${key} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || typeof obj.metadata !== 'object' || obj.metadata === null) {
    throw apiErrors.internal(`stored object at ${key} has no metadata`);
  }
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

/** Returns the object as the requested version shows it (conversion views), with apiVersion and kind. */
export function toVersion(def: ResourceDefinition, stored: KObject): KObject {
  const obj = def.conversion ? def.conversion.fromStored(stored) : stored;
  const apiVersion = def.group === '' ? def.version : `${def.group}/${def.version}`;
  if (obj.apiVersion === apiVersion && obj.kind === def.kind) return obj;
  return { ...obj, apiVersion, kind: def.kind };
}

export function apiVersionOf(def: { group: string; version: string }): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}
