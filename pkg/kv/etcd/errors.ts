/**
 * etcd's gRPC errors → KvError. etcd reports its errors as status details with stable texts
 * (etcdserver/api/v3rpc/rpctypes); matching on the text is what clientv3 itself does.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { KvError, type KvErrorCode } from '../errors.ts';

/** Texts as etcd 3.4 sends them, without the "etcdserver: " prefix most of them carry. */
const BY_MESSAGE: ReadonlyArray<[string, KvErrorCode]> = [
  ['mvcc: required revision has been compacted', 'compacted'],
  ['mvcc: required revision is a future revision', 'future-revision'],
  ['requested lease not found', 'lease-not-found'],
  ['lease already exists', 'lease-exists'],
  ['too large lease TTL', 'invalid-ttl'],
  ['duplicate key given in txn request', 'duplicate-key'],
  ['too many operations in txn request', 'too-many-ops'],
  ['request is too large', 'request-too-large'],
  ['key is not provided', 'empty-key'],
  // ignore_value/ignore_lease on a missing key; the sqlite backend uses the same code.
  ['key not found', 'empty-key'],
  // Writes fail until an operator defragments and disarms the alarm: storage is unusable.
  ['mvcc: database space exceeded', 'unavailable'],
];

export function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && typeof (err as ServiceError).code === 'number' && 'details' in err;
}

function stripPrefix(details: string): string {
  return details.startsWith('etcdserver: ') ? details.slice('etcdserver: '.length) : details;
}

/**
 * The KvError for an etcd failure, or a plain Error (with the gRPC status in its message)
 * for failures no KvError code describes, such as an authentication error.
 */
export function fromGrpcError(err: unknown, context: string): Error {
  if (err instanceof KvError) return err;
  if (!isServiceError(err)) return err instanceof Error ? err : new Error(String(err));
  const text = stripPrefix(err.details ?? '');
  for (const [message, code] of BY_MESSAGE) {
    if (text === message) return new KvError(code, err.details, { cause: err });
  }
  switch (err.code) {
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new KvError('unavailable', `etcd ${context}: ${err.details}`, { cause: err });
    default:
      return new Error(`etcd ${context}: ${GrpcStatus[err.code] ?? err.code}: ${err.details}`, { cause: err });
  }
}

/** The call never left this process: safe to send again, even for a write. */
export function notSent(err: unknown): boolean {
  return isServiceError(err) && err.code === GrpcStatus.UNAVAILABLE && (err.details ?? '').startsWith('No connection established');
}

/**
 * Whether to try the call again on another endpoint. Reads are repeatable, so any
 * unavailability qualifies; a write only when it certainly was not applied: not sent, or
 * refused by a member without a leader (as clientv3's isSafeRetryMutableRPC).
 */
export function retryable(err: unknown, idempotent: boolean): boolean {
  if (!isServiceError(err) || err.code !== GrpcStatus.UNAVAILABLE) return false;
  if (idempotent || notSent(err)) return true;
  return stripPrefix(err.details ?? '') === 'no leader';
}
