/**
 * The shape every part of the API server agrees on: objects as plain JSON, the resource
 * definition that drives routes, discovery, OpenAPI, tables and storage, and the stateless
 * strategy each resource plugs into the one generic store (as Kubernetes' registry does).
 */

/** A JSON value as decoded from a request body or the store. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  selfLink?: string;
}

/**
 * An API object. Bodies beyond metadata are typed loosely on purpose: strategies read and
 * write deep fields (spec.template.spec.containers[0].image) and the schema, not TypeScript,
 * is what validates them.
 */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

/** Who is asking: the authenticated (or impersonated) user. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** group '' is the core ("legacy") group served under /api. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

/**
 * One field error with its path, as Kubernetes' field.Error: the store turns a non-empty list
 * into 422 Invalid with causes, and the message kubectl prints
 * (`Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be ...`).
 */
export interface FieldError {
  type: FieldErrorType;
  /** Dotted path with indices, e.g. `spec.template.spec.containers[0].image`. */
  field: string;
  badValue?: unknown;
  /** Human detail, e.g. "must be greater than or equal to 0". */
  detail?: string;
  /** For NotSupported: the values that are. */
  supported?: string[];
}

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'InternalError';

/** What a strategy may look at besides the object: who asks, when, and how. */
export interface StrategyContext {
  user: UserInfo;
  now: Date;
  dryRun: boolean;
  /** '' for the main resource, 'status' / 'scale' / … for a subresource write. */
  subresource: string;
  /** Read other objects (e.g. a service's namespace, existing ClusterIPs). */
  lookup?: ObjectLookup;
  /** Who records the write in managedFields (create/update/non-apply patch); absent for apply, which tracks its own. */
  fieldManager?: string;
}

/** Read access to stored objects for strategies that need them (allocation, references). */
export interface ObjectLookup {
  get(resource: GroupVersionResource, namespace: string, name: string): KObject | undefined;
  list(resource: GroupVersionResource, namespace?: string): KObject[];
}

/**
 * Per-resource behaviour plugged into the generic store. All hooks are optional; the store
 * already does what every resource shares: uid, creationTimestamp, resourceVersion, generation
 * (bumped when anything but metadata and status changes), generateName, name validation,
 * status/spec separation when a status subresource exists, graceful deletion and finalizers.
 * Hooks mutate `obj` in place.
 */
export interface Strategy {
  /** Set defaults as Kubernetes' SetDefaults_* do (called on create and update, before validation). */
  defaults?(obj: KObject): void;
  /** Create-only preparation: e.g. clear fields users may not set, set status.phase = Pending. */
  prepareForCreate?(obj: KObject, ctx: StrategyContext): void | Promise<void>;
  /** Update preparation: e.g. keep immutable fields from `old`. */
  prepareForUpdate?(obj: KObject, old: KObject, ctx: StrategyContext): void | Promise<void>;
  validate?(obj: KObject, ctx: StrategyContext): FieldError[];
  validateUpdate?(obj: KObject, old: KObject, ctx: StrategyContext): FieldError[];
  /** Name rule; default 'dns1123-subdomain'. Services use 'dns1035-label'. */
  nameRule?: 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label' | 'path-segment' | 'rbac';
  /** PUT of a missing object creates it (e.g. leases, events, endpoints). */
  allowCreateOnUpdate?: boolean;
  /** Let the graceful-deletion machinery set deletionTimestamp instead of deleting at once. */
  gracefulDeletion?: boolean;
  /** Called after the object was stored (e.g. a namespace's finalizer bookkeeping). */
  afterDelete?(obj: KObject, ctx: StrategyContext): void | Promise<void>;
}

/** One Table column as meta.k8s.io/v1 TableColumnDefinition. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0 = shown by default; 1 = only with -o wide. */
  priority: number;
}

/** Server-side printing: the columns kubectl shows for this kind and one row per object. */
export interface TablePrinter {
  columns: PrinterColumn[];
  /** Cells in column order; `now` is passed so ages are computed once per response. */
  row(obj: KObject, now: Date): unknown[];
}

export interface ScaleSubresource {
  /** JSON paths as in CRDs: `.spec.replicas`, `.status.replicas`, `.status.selector`. */
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/**
 * The one table entry per served resource. Everything derives from it: URL routes, discovery
 * documents, OpenAPI, Table output, protobuf decoding and storage keys.
 */
export interface ResourceDefinition {
  /** '' for core/v1. */
  group: string;
  version: string;
  kind: string;
  listKind: string;
  /** The URL segment, e.g. 'deployments'. */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: Verb[];
  /** Subresources served under /<plural>/<name>/<sub>: 'status', 'scale', 'binding', 'log', … */
  subresources?: string[];
  scale?: ScaleSubresource;
  /**
   * OpenAPI definition name of the kind, e.g. 'io.k8s.api.apps.v1.Deployment'; schemas,
   * strict field validation, strategic merge keys and server-side apply read it.
   */
  schema: string;
  strategy: Strategy;
  printer?: TablePrinter;
  /**
   * Field selectors beyond metadata.name and metadata.namespace, each reading its value from
   * an object (e.g. 'spec.nodeName', 'status.phase').
   */
  fieldSelectors?: Record<string, (obj: KObject) => string | undefined>;
  /**
   * The storage key segment under /registry/ ('pods', 'services/specs', 'minions', …), so keys
   * read like Kubernetes' in etcd. Versions of one resource share it.
   */
  storagePath: string;
  /**
   * Kinds only created, never stored (reviews, TokenRequest, Binding, Eviction): the API
   * server answers them with dedicated handlers; the table still drives routes and discovery.
   */
  virtual?: boolean;
  /**
   * Set on every version but the stored one when several versions share storagePath
   * (events.k8s.io/v1 over core/v1 Events, autoscaling/v1 over v2 HPAs): converts between
   * this version's shape and the stored version's.
   */
  conversion?: { toStored(obj: KObject): KObject; fromStored(obj: KObject): KObject };
  /** Which version kubectl should prefer when several are served (discovery order). */
  preferred?: boolean;
  /** Served from a CustomResourceDefinition (no protobuf, no strategic merge patch). */
  custom?: boolean;
}
