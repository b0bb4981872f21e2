/**
 * The checks etcd's gRPC layer makes before a request reaches the store (v3rpc/key.go), in
 * the same order, so a bad request gets the same error as from etcd whatever the backend.
 */
import { etcdErrors } from './errors.ts';
import { bytes, num, type WireDeleteRangeRequest, type WirePutRequest, type WireRangeRequest, type WireRequestOp, type WireTxnRequest } from './wire.ts';

export function checkRangeRequest(r: WireRangeRequest): void {
  if (bytes(r.key).length === 0) throw etcdErrors.emptyKey();
}

export function checkPutRequest(r: WirePutRequest): void {
  if (bytes(r.key).length === 0) throw etcdErrors.emptyKey();
  if (r.ignore_value && bytes(r.value).length !== 0) throw etcdErrors.valueProvided();
  if (r.ignore_lease && num(r.lease) !== 0) throw etcdErrors.leaseProvided();
}

export function checkDeleteRequest(r: WireDeleteRangeRequest): void {
  if (bytes(r.key).length === 0) throw etcdErrors.emptyKey();
}

export function checkTxnRequest(r: WireTxnRequest, maxTxnOps: number, depth = 0): void {
  const compare = r.compare ?? [];
  const success = r.success ?? [];
  const failure = r.failure ?? [];
  if (Math.max(compare.length, success.length, failure.length) > maxTxnOps) throw etcdErrors.tooManyOps();
  // Nesting is bounded by the message size in etcd; a depth bound keeps our recursion safe too.
  if (depth > 64) throw etcdErrors.tooManyOps();
  for (const c of compare) if (bytes(c.key).length === 0) throw etcdErrors.emptyKey();
  for (const op of [...success, ...failure]) checkRequestOp(op, maxTxnOps, depth);
}

function checkRequestOp(op: WireRequestOp, maxTxnOps: number, depth: number): void {
  switch (op.request) {
    case 'request_range': return checkRangeRequest(op.request_range ?? {});
    case 'request_put': return checkPutRequest(op.request_put ?? {});
    case 'request_delete_range': return checkDeleteRequest(op.request_delete_range ?? {});
    case 'request_txn': return checkTxnRequest(op.request_txn ?? {}, maxTxnOps, depth + 1);
    // An empty RequestOp: etcd answers "key not found".
    default: throw etcdErrors.keyNotFound();
  }
}

/** Whether a txn only reads: etcd serves those without going through raft (no size limit). */
export function isReadOnlyTxn(r: WireTxnRequest): boolean {
  for (const op of [...(r.success ?? []), ...(r.failure ?? [])]) {
    if (op.request === 'request_range') continue;
    if (op.request === 'request_txn' && isReadOnlyTxn(op.request_txn ?? {})) continue;
    return false;
  }
  return true;
}
