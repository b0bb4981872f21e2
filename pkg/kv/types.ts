/**
 * The datastore contract: a revisioned key-value store with etcd v3 semantics. Every write
 * bumps one global revision; each key carries createRevision, modRevision and version (1 on
 * create, +1 per update, history ends on delete). Keys are binary strings (see keys.ts).
 * Implementations: sqlite (embedded, default) and etcd (external cluster). The contract suite
 * in contract.ts runs against both.
 */

export interface KeyValue {
  key: string;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  /** 0 when the key is not attached to a lease. */
  lease: number;
}

export interface RangeOptions {
  /** Exclusive end of the range; absent or '' = the single key; '\0' = every key >= key. */
  end?: string;
  /** Read as of this revision (0/absent = latest). Errors: 'compacted', 'future-revision'. */
  revision?: number;
  /** Max keys returned (0/absent = no limit); `more` says whether keys were left out. */
  limit?: number;
  keysOnly?: boolean;
  countOnly?: boolean;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** Number of keys in the whole range, ignoring limit. */
  count: number;
  more: boolean;
  /** The store's revision the read was served at (the header revision). */
  revision: number;
}

export type CompareTarget = 'version' | 'create' | 'mod' | 'value' | 'lease';
export type CompareResult = '=' | '!=' | '>' | '<';

/**
 * etcd's Compare: on a missing key version/create/mod/lease compare as 0, while a value
 * compare is false whatever the operator (etcd cannot tell a missing value from an empty one).
 */
export interface Compare {
  key: string;
  /** With end, the compare must hold for every key in [key, end) (etcd 3.3+ range compare). */
  end?: string;
  target: CompareTarget;
  result: CompareResult;
  /** A number for version/create/mod/lease, a Buffer for value. */
  value: number | Buffer;
}

export interface RangeOp {
  type: 'range';
  key: string;
  options?: RangeOptions;
}

export interface PutOp {
  type: 'put';
  key: string;
  value: Buffer;
  lease?: number;
  prevKv?: boolean;
  /** Keep the current value (error 'empty-key'-free update of the lease only), as etcd's ignore_value. */
  ignoreValue?: boolean;
  /** Keep the current lease, as etcd's ignore_lease. */
  ignoreLease?: boolean;
}

export interface DeleteOp {
  type: 'delete';
  key: string;
  end?: string;
  prevKv?: boolean;
}

export interface TxnOp {
  type: 'txn';
  txn: TxnRequest;
}

export type Op = RangeOp | PutOp | DeleteOp | TxnOp;

export interface TxnRequest {
  compare?: Compare[];
  success?: Op[];
  failure?: Op[];
}

export interface PutResult {
  type: 'put';
  revision: number;
  prevKv?: KeyValue;
}

export interface DeleteResult {
  type: 'delete';
  revision: number;
  deleted: number;
  prevKvs?: KeyValue[];
}

export interface RangeOpResult extends RangeResult {
  type: 'range';
}

export interface TxnOpResult extends TxnResult {
  type: 'txn';
}

export type OpResult = RangeOpResult | PutResult | DeleteResult | TxnOpResult;

export interface TxnResult {
  succeeded: boolean;
  /** The store's revision after the txn (unchanged when it wrote nothing). */
  revision: number;
  responses: OpResult[];
}

export type WatchEventType = 'put' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /**
   * For a delete: the key with modRevision = the delete's revision, an empty value, and
   * createRevision, version and lease 0 (etcd's tombstone).
   */
  kv: KeyValue;
  prevKv?: KeyValue;
}

export interface WatchOptions {
  end?: string;
  /** Deliver every event with revision >= startRevision (0/absent: only new events). */
  startRevision?: number;
  prevKv?: boolean;
  /** Periodic empty batches carrying the current revision while nothing matches. */
  progressNotify?: boolean;
  noPut?: boolean;
  noDelete?: boolean;
}

/**
 * What a watcher receives: events of one or more revisions in order (never split a revision
 * across a gap, never repeat one), a progress notification (events empty), or the end of the
 * watch with an error ('compacted' with compactRevision, 'watch-overflow', 'closed').
 */
export interface WatchBatch {
  events: WatchEvent[];
  /** The store revision this batch brings the watcher up to. */
  revision: number;
  error?: import('./errors.ts').KvError;
}

export interface Watch {
  /** Stop delivering; no batch arrives after cancel returns. */
  cancel(): void;
  /** Ask for a progress notification (a batch with no events) at the current revision. */
  requestProgress(): void;
}

export interface LeaseGrant {
  id: number;
  ttl: number;
}

export interface LeaseTimeToLive {
  id: number;
  /** Seconds left; -1 when the lease does not exist (etcd's answer). */
  ttl: number;
  grantedTtl: number;
  keys: string[];
}

export interface BackendStatus {
  revision: number;
  compactRevision: number;
  /** Bytes the store occupies on disk (file size, or etcd's dbSize). */
  dbSize: number;
  /** Bytes actually holding data (for fragmentation: dbSize - dbSizeInUse is reclaimable). */
  dbSizeInUse: number;
  version: string;
}

export interface Backend {
  /** Human name for logs, e.g. "sqlite /var/lib/tsk/server/db/state.db". */
  readonly name: string;
  range(key: string, options?: RangeOptions): Promise<RangeResult>;
  /** Acknowledged only once durable. */
  txn(request: TxnRequest): Promise<TxnResult>;
  /** Compact history at and below `revision`; later reads at older revisions get 'compacted'. */
  compact(revision: number): Promise<void>;
  /**
   * Watch [key, end). The handler is called in revision order; it must not throw and should
   * not block: a watcher that cannot keep up is ended with 'watch-overflow'.
   */
  watch(key: string, options: WatchOptions, handler: (batch: WatchBatch) => void): Watch;
  /** ttl in seconds; id 0 = pick one. IDs are positive and below 2^53. */
  leaseGrant(ttl: number, id?: number): Promise<LeaseGrant>;
  /** Deletes the lease and every key attached to it. */
  leaseRevoke(id: number): Promise<void>;
  /** One renewal: the lease's remaining TTL is reset to its granted TTL. */
  leaseKeepAlive(id: number): Promise<LeaseGrant>;
  leaseTimeToLive(id: number, withKeys?: boolean): Promise<LeaseTimeToLive>;
  leaseList(): Promise<number[]>;
  status(): Promise<BackendStatus>;
  /**
   * In-process backends: the revision a read now would be served at, without a round trip
   * (the API server's consistent reads wait for their cache to reach it). Absent for etcd.
   */
  currentRevision?(): number;
  /** Finish in-flight commits, end watches with 'closed', release files and connections. */
  close(): Promise<void>;
}
