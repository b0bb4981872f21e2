/**
 * etcd's gRPC errors, code and message exactly as etcd 3.4 sends them (rpctypes/error.go;
 * checked against /usr/bin/etcd 3.4.23): clients match on the message text (clientv3 turns
 * it back into its typed errors), so the strings below are part of the wire contract.
 */
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { isKvError } from '../kv/errors.ts';

export class EtcdError extends Error {
  constructor(readonly code: status, message: string) {
    super(message);
    this.name = 'EtcdError';
  }
}

const e = (code: status, message: string) => () => new EtcdError(code, message);

export const etcdErrors = {
  emptyKey: e(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  keyNotFound: e(status.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: e(status.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: e(status.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: e(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  duplicateKey: e(status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  requestTooLarge: e(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  compacted: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRevision: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  leaseNotFound: e(status.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExists: e(status.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTtlTooLarge: e(status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  stopped: e(status.UNAVAILABLE, 'etcdserver: server stopped'),
};

/** Watch cancel reasons etcd's mvcc layer puts in WatchResponse.cancel_reason. */
export const watchCancelReasons = {
  emptyRange: 'mvcc: watcher range is empty',
  duplicateId: 'mvcc: duplicate watch ID provided on the WatchStream',
};

/** The etcd error for anything a handler throws; never throws itself. */
export function toEtcdError(err: unknown): EtcdError {
  if (err instanceof EtcdError) return err;
  if (isKvError(err)) {
    switch (err.code) {
      case 'compacted': return etcdErrors.compacted();
      case 'future-revision': return etcdErrors.futureRevision();
      case 'lease-not-found': return etcdErrors.leaseNotFound();
      case 'lease-exists': return etcdErrors.leaseExists();
      case 'invalid-ttl': return etcdErrors.leaseTtlTooLarge();
      case 'duplicate-key': return etcdErrors.duplicateKey();
      case 'too-many-ops': return etcdErrors.tooManyOps();
      case 'request-too-large': return etcdErrors.requestTooLarge();
      // The kv layer uses one code for both "no key given" and ignore_value/ignore_lease on a
      // missing key; etcd tells them apart by message.
      case 'empty-key': return /not found/.test(err.message) ? etcdErrors.keyNotFound() : etcdErrors.emptyKey();
      case 'closed': return etcdErrors.stopped();
      case 'watch-overflow':
      case 'unavailable':
        // Unavailable makes etcd clients retry, which is right for a store that hiccuped.
        return new EtcdError(status.UNAVAILABLE, err.message.startsWith('etcdserver: ') ? err.message : `etcdserver: ${err.message}`);
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new EtcdError(status.UNKNOWN, message);
}

export function toServiceError(err: unknown): ServiceError {
  const etcd = toEtcdError(err);
  return Object.assign(new Error(etcd.message), { code: etcd.code, details: etcd.message, metadata: new Metadata() });
}

/** Whether an error is one the facade expects (a client's mistake or the store's state), not a bug. */
export function isExpectedError(err: unknown): boolean {
  return err instanceof EtcdError || isKvError(err);
}
