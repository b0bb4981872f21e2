/** Stable error codes of the key-value layer; the etcd facade maps each to etcd's own message. */
export type KvErrorCode =
  | 'compacted' // the requested revision is at or below the compact revision
  | 'future-revision' // the requested revision has not been written yet
  | 'lease-not-found'
  | 'lease-exists'
  | 'invalid-ttl'
  | 'duplicate-key' // a txn writes the same key twice
  | 'too-many-ops'
  | 'request-too-large'
  | 'empty-key'
  | 'watch-overflow' // a watcher fell too far behind and was cut off
  | 'closed' // the backend is closed or closing
  | 'unavailable'; // the backend cannot reach its storage (network, disk)

export class KvError extends Error {
  readonly code: KvErrorCode;
  /** For 'compacted': the compact revision, so a watcher knows where history starts. */
  readonly compactRevision?: number;

  constructor(code: KvErrorCode, message: string, extra?: { compactRevision?: number; cause?: unknown }) {
    super(message, extra?.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'KvError';
    this.code = code;
    if (extra?.compactRevision !== undefined) this.compactRevision = extra.compactRevision;
  }
}

export function isKvError(err: unknown, code?: KvErrorCode): err is KvError {
  return err instanceof KvError && (code === undefined || err.code === code);
}

/**
 * The errors both backends raise themselves, with etcd's own wording, so an error reads the
 * same whichever backend produced it (the etcd facade maps codes, not texts, to gRPC).
 */
export const kvErrors = {
  compacted: (compactRevision: number) =>
    new KvError('compacted', 'etcdserver: mvcc: required revision has been compacted', { compactRevision }),
  futureRevision: () => new KvError('future-revision', 'etcdserver: mvcc: required revision is a future revision'),
  leaseNotFound: () => new KvError('lease-not-found', 'etcdserver: requested lease not found'),
  emptyKey: () => new KvError('empty-key', 'etcdserver: key is not provided'),
};
