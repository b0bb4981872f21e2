/**
 * Txn between wire and store: the request becomes a kv TxnRequest plus, per op, what is
 * needed to shape its response (range ops keep their sort/filter plan). Responses of ops
 * inside a txn carry a header with the revision only, as etcd's applier leaves them.
 */
import type { DeleteOp, KeyValue, Op, OpResult, PutOp, TxnRequest, TxnResult } from '../kv/types.ts';
import { compareFromWire, keyOf, kvToWire, rangeEndOf } from './convert.ts';
import { etcdErrors } from './errors.ts';
import { planRange, type RangePlan } from './range.ts';
import {
  bytes, leaseIdOf, num, type WireDeleteRangeRequest, type WireDeleteRangeResponse, type WirePutRequest,
  type WirePutResponse, type WireRequestOp, type WireResponseOp, type WireTxnRequest, type WireTxnResponse,
} from './wire.ts';

type OpPlan = { kind: 'range'; plan: RangePlan } | { kind: 'put' } | { kind: 'delete' } | { kind: 'txn'; plan: TxnPlan };

export interface TxnPlan {
  request: TxnRequest;
  success: OpPlan[];
  failure: OpPlan[];
}

export function putFromWire(r: WirePutRequest): PutOp {
  const op: PutOp = { type: 'put', key: keyOf(r.key), value: bytes(r.value) };
  const rawLease = num(r.lease);
  if (rawLease !== 0) {
    const lease = leaseIdOf(rawLease);
    // IDs a JS number cannot hold exactly (above 2^53) or negative ones name no lease here.
    if (lease === undefined) throw etcdErrors.leaseNotFound();
    op.lease = lease;
  }
  if (r.prev_kv) op.prevKv = true;
  if (r.ignore_value) op.ignoreValue = true;
  if (r.ignore_lease) op.ignoreLease = true;
  return op;
}

export function deleteFromWire(r: WireDeleteRangeRequest): DeleteOp {
  const op: DeleteOp = { type: 'delete', key: keyOf(r.key) };
  const end = rangeEndOf(r.range_end);
  if (end !== undefined) op.end = end;
  if (r.prev_kv) op.prevKv = true;
  return op;
}

/** Expects a request that passed checkTxnRequest. */
export function planTxn(r: WireTxnRequest): TxnPlan {
  const request: TxnRequest = { compare: (r.compare ?? []).map(compareFromWire), success: [], failure: [] };
  const plan: TxnPlan = { request, success: [], failure: [] };
  for (const branch of ['success', 'failure'] as const) {
    for (const wire of r[branch] ?? []) {
      const { op, opPlan } = planOp(wire);
      request[branch]!.push(op);
      plan[branch].push(opPlan);
    }
  }
  return plan;
}

function planOp(wire: WireRequestOp): { op: Op; opPlan: OpPlan } {
  switch (wire.request) {
    case 'request_range': {
      const plan = planRange(wire.request_range ?? {});
      return { op: { type: 'range', key: plan.key, options: plan.options }, opPlan: { kind: 'range', plan } };
    }
    case 'request_put': return { op: putFromWire(wire.request_put ?? {}), opPlan: { kind: 'put' } };
    case 'request_delete_range': return { op: deleteFromWire(wire.request_delete_range ?? {}), opPlan: { kind: 'delete' } };
    case 'request_txn': {
      const plan = planTxn(wire.request_txn ?? {});
      return { op: { type: 'txn', txn: plan.request }, opPlan: { kind: 'txn', plan } };
    }
    default: throw etcdErrors.keyNotFound();
  }
}

/** The response body of a txn; the caller sets the top-level header. */
export function txnResponse(plan: TxnPlan, result: TxnResult): Omit<WireTxnResponse, 'header'> {
  const plans = result.succeeded ? plan.success : plan.failure;
  return {
    succeeded: result.succeeded,
    responses: result.responses.map((res, i) => opResponse(plans[i], res)),
  };
}

function opResponse(plan: OpPlan | undefined, res: OpResult): WireResponseOp {
  const header = { revision: res.revision };
  switch (res.type) {
    case 'range': {
      if (plan?.kind !== 'range') throw new Error('txn result does not match its request (range)');
      return { response_range: { header, ...plan.plan.finish(res) } };
    }
    case 'put': return { response_put: putResponseBody(header, res.prevKv) };
    case 'delete': return { response_delete_range: deleteResponseBody(header, res.deleted, res.prevKvs) };
    case 'txn': {
      if (plan?.kind !== 'txn') throw new Error('txn result does not match its request (txn)');
      // etcd leaves a nested txn's header empty (revision 0), unlike the other ops.
      return { response_txn: { header: {}, ...txnResponse(plan.plan, res) } };
    }
  }
}

export function putResponseBody(header: WirePutResponse['header'], prevKv: KeyValue | undefined): WirePutResponse {
  const body: WirePutResponse = { header };
  if (prevKv) body.prev_kv = kvToWire(prevKv);
  return body;
}

export function deleteResponseBody(
  header: WireDeleteRangeResponse['header'], deleted: number, prevKvs: KeyValue[] | undefined,
): WireDeleteRangeResponse {
  return { header, deleted, prev_kvs: (prevKvs ?? []).map(kvToWire) };
}
