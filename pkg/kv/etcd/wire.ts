/**
 * The Backend's types ↔ etcd's wire messages, in the shapes @grpc/proto-loader produces with
 * etcdPackageDefinition()'s options: snake_case fields, enums as names, int64 as numbers,
 * bytes as Buffers, a oneof's chosen field named by the oneof.
 */
import type { WireKeyValue } from '../../etcdapi/wire.ts';
import { isSingleKey, keyFromBytes, keyToBytes } from '../keys.ts';
import type {
  Compare, KeyValue, Op, OpResult, RangeOptions, RangeResult, TxnRequest, TxnResult, WatchEvent,
} from '../types.ts';

export interface WireHeader {
  revision: number;
}

export interface WireRangeResponse {
  header: WireHeader | null;
  kvs: WireKeyValue[];
  more: boolean;
  count: number;
}

interface WirePutResponse {
  header: WireHeader | null;
  prev_kv: WireKeyValue | null;
}

interface WireDeleteResponse {
  header: WireHeader | null;
  deleted: number;
  prev_kvs: WireKeyValue[];
}

export interface WireTxnResponse {
  header: WireHeader | null;
  succeeded: boolean;
  responses: WireResponseOp[];
}

type WireResponseOp =
  | { response: 'response_range'; response_range: WireRangeResponse }
  | { response: 'response_put'; response_put: WirePutResponse }
  | { response: 'response_delete_range'; response_delete_range: WireDeleteResponse }
  | { response: 'response_txn'; response_txn: WireTxnResponse };

export interface WireEvent {
  type: 'PUT' | 'DELETE';
  kv: WireKeyValue | null;
  prev_kv: WireKeyValue | null;
}

const EMPTY = Buffer.alloc(0);

export function headerRevision(header: WireHeader | null | undefined): number {
  return header?.revision ?? 0;
}

/**
 * Absent for a single key: etcd 3.4 reads a range_end that is present but empty as "to the
 * end of the keyspace" (it is what "\0" becomes inside etcd), and protobufjs does encode an
 * empty Buffer as a present field.
 */
export function rangeEnd(end: string | undefined): Buffer | undefined {
  return isSingleKey(end) ? undefined : keyToBytes(end);
}

export function fromKeyValue(kv: WireKeyValue): KeyValue {
  return {
    key: keyFromBytes(kv.key),
    value: kv.value ?? EMPTY,
    createRevision: kv.create_revision,
    modRevision: kv.mod_revision,
    version: kv.version,
    lease: kv.lease,
  };
}

export function toRangeRequest(key: string, options: RangeOptions = {}): object {
  return {
    key: keyToBytes(key),
    range_end: rangeEnd(options.end),
    limit: options.limit ?? 0,
    revision: options.revision ?? 0,
    keys_only: options.keysOnly ?? false,
    count_only: options.countOnly ?? false,
  };
}

/** `revision` overrides the header's: inside a txn etcd's per-op headers are not reliable. */
export function fromRangeResponse(res: WireRangeResponse, revision = headerRevision(res.header)): RangeResult {
  return { kvs: res.kvs.map(fromKeyValue), count: res.count, more: res.more, revision };
}

const COMPARE_RESULT = { '=': 'EQUAL', '!=': 'NOT_EQUAL', '>': 'GREATER', '<': 'LESS' } as const;
const COMPARE_TARGET = {
  version: ['VERSION', 'version'],
  create: ['CREATE', 'create_revision'],
  mod: ['MOD', 'mod_revision'],
  value: ['VALUE', 'value'],
  lease: ['LEASE', 'lease'],
} as const;

function toCompare(c: Compare): object {
  const [target, field] = COMPARE_TARGET[c.target];
  const value = c.target === 'value' ? (Buffer.isBuffer(c.value) ? c.value : Buffer.from(String(c.value))) : Number(c.value);
  // etcd would read an unset target as 0 or empty anyway; setting it keeps the request explicit.
  return { key: keyToBytes(c.key), range_end: rangeEnd(c.end), result: COMPARE_RESULT[c.result], target, [field]: value };
}

function toRequestOp(op: Op): object {
  switch (op.type) {
    case 'range':
      return { request_range: toRangeRequest(op.key, op.options) };
    case 'put':
      return {
        request_put: {
          key: keyToBytes(op.key),
          // etcd refuses a value or lease alongside ignore_value / ignore_lease.
          value: op.ignoreValue ? EMPTY : op.value,
          lease: op.ignoreLease ? 0 : (op.lease ?? 0),
          prev_kv: op.prevKv ?? false,
          ignore_value: op.ignoreValue ?? false,
          ignore_lease: op.ignoreLease ?? false,
        },
      };
    case 'delete':
      return { request_delete_range: { key: keyToBytes(op.key), range_end: rangeEnd(op.end), prev_kv: op.prevKv ?? false } };
    case 'txn':
      return { request_txn: toTxnRequest(op.txn) };
  }
}

export function toTxnRequest(req: TxnRequest): object {
  return {
    compare: (req.compare ?? []).map(toCompare),
    success: (req.success ?? []).map(toRequestOp),
    failure: (req.failure ?? []).map(toRequestOp),
  };
}

/**
 * Every op of a txn happens at the txn's revision; etcd leaves a nested txn's header at 0,
 * so each result takes the outer header's revision.
 */
export function fromTxnResponse(res: WireTxnResponse, revision = headerRevision(res.header)): TxnResult {
  return { succeeded: res.succeeded, revision, responses: res.responses.map((r) => fromResponseOp(r, revision)) };
}

function fromResponseOp(r: WireResponseOp, revision: number): OpResult {
  switch (r.response) {
    case 'response_range':
      return { type: 'range', ...fromRangeResponse(r.response_range, revision) };
    case 'response_put': {
      const prev = r.response_put.prev_kv;
      return prev ? { type: 'put', revision, prevKv: fromKeyValue(prev) } : { type: 'put', revision };
    }
    case 'response_delete_range': {
      const d = r.response_delete_range;
      return { type: 'delete', revision, deleted: d.deleted, prevKvs: d.prev_kvs.map(fromKeyValue) };
    }
    case 'response_txn':
      return { type: 'txn', ...fromTxnResponse(r.response_txn, revision) };
  }
}

export function fromEvent(e: WireEvent): WatchEvent {
  const event: WatchEvent = { type: e.type === 'DELETE' ? 'delete' : 'put', kv: fromKeyValue(e.kv!) };
  if (e.prev_kv) event.prevKv = fromKeyValue(e.prev_kv);
  return event;
}
