/**
 * Whether a body's apiVersion and kind fit the URL, answered as Kubernetes' decoding answers
 * it: what the body leaves out comes from the URL; a kind the scheme does not know is "not
 * registered"; a known kind of another type fails conversion to the URL's type; the URL's kind
 * in another version of its group converts, then fails the API version check.
 */
import type { ResourceTable } from '../../api/registry.ts';
import type { KObject } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';
import type { BodyTypeMeta } from '../http/body.ts';
import { goJsonKind } from '../http/gojson.ts';
import { unhandledKind } from '../http/body.ts';

export interface ExpectedKind {
  group: string;
  version: string;
  kind: string;
  /** A custom resource: decoded as unstructured, so no scheme is asked about the body's kind. */
  custom?: boolean;
}

/** metav1 kinds every group version registers (metav1.AddToGroupVersion). */
const OPTION_KINDS = new Set(['ListOptions', 'GetOptions', 'DeleteOptions', 'CreateOptions', 'UpdateOptions', 'PatchOptions', 'WatchEvent']);

/** The scheme the built-in kinds live in, as kube-apiserver names it in its errors. */
const SCHEME = 'pkg/api/legacyscheme/scheme.go:30';

function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** Go package of a group's internal types: core for the legacy group (and events.k8s.io's Event). */
function internalPackage(group: string): string {
  if (group === '' || group === 'events.k8s.io') return 'core';
  return group.split('.')[0]!;
}

function registered(table: ResourceTable, group: string, version: string, kind: string): boolean {
  if (OPTION_KINDS.has(kind)) return true;
  return table.all().some((d) => !d.custom && d.group === group && d.version === version && (d.kind === kind || d.listKind === kind));
}

/**
 * Fills in the body's apiVersion and kind from the URL (gvkWithDefaults) and refuses a body
 * of another type with Kubernetes' message. `body` is the raw request, quoted when apiVersion
 * is missing altogether. Returns the object with kind and apiVersion set (and first).
 */
export function checkBodyKind(table: ResourceTable, want: ExpectedKind, meta: BodyTypeMeta, obj: KObject, body: Buffer): KObject {
  const kind = meta.kind || want.kind;
  let { group, version } = meta;
  if (version === '' && (group === '' || group === want.group)) {
    group = want.group;
    version = want.version;
  }
  if (version === '') throw unhandledKind(kind, version, want.kind, `Object 'apiVersion' is missing in '${body.toString('utf8')}'`);
  const sameType = kind === want.kind && group === want.group && version === want.version;
  if (want.custom && !sameType) {
    if (kind !== want.kind || group !== want.group) throw unhandledKind(kind, version, want.kind, 'the kind in the body does not match the resource of the request');
    throw apiErrors.badRequest(`the API version in the data (${groupVersion(group, version)}) does not match the expected API version (${groupVersion(want.group, want.version)})`);
  }
  if (!sameType && !registered(table, group, version, kind)) {
    throw unhandledKind(kind, version, want.kind, `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(groupVersion(group, version))} in scheme ${JSON.stringify(SCHEME)}`);
  }
  // The body is decoded as its own type first: a metadata that is no object fails there.
  const metadata = (obj as { metadata?: unknown }).metadata;
  if (metadata !== undefined && metadata !== null && (typeof metadata !== 'object' || Array.isArray(metadata))) {
    throw unhandledKind(kind, version, want.kind, `json: cannot unmarshal ${goJsonKind(metadata)} into Go struct field ${kind}.metadata of type v1.ObjectMeta`);
  }
  if (!sameType) {
    const converts = kind === want.kind && internalPackage(group) === internalPackage(want.group);
    if (!converts) throw unhandledKind(kind, version, want.kind, `converting (${version}.${kind}) to (${internalPackage(want.group)}.${want.kind}): unknown conversion`);
    throw apiErrors.badRequest(`the API version in the data (${groupVersion(group, version)}) does not match the expected API version (${groupVersion(want.group, want.version)})`);
  }
  // Kubernetes writes objects back field by field: kind and apiVersion first.
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = obj;
  return { kind, apiVersion: groupVersion(group, version), ...rest, metadata: (metadata ?? {}) as KObject['metadata'] } as KObject;
}
