/**
 * The etcd v3 messages as @grpc/proto-loader hands them over with the options in proto.ts
 * (keepCase, longs as numbers, enums as strings, defaults filled in, oneof name fields).
 * Decoded requests are untrusted: every field may be missing when a client sends an older
 * schema, so handlers read them through the small guards at the bottom of this file.
 */

export interface WireKeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
  lease: number;
}

export interface WireEvent {
  type: 'PUT' | 'DELETE';
  kv: WireKeyValue;
  prev_kv?: WireKeyValue;
}

export interface WireHeader {
  cluster_id: number;
  member_id: number;
  revision: number;
  raft_term: number;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface WireRangeRequest {
  key?: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  sort_order?: SortOrder;
  sort_target?: SortTarget;
  serializable?: boolean;
  keys_only?: boolean;
  count_only?: boolean;
  min_mod_revision?: number;
  max_mod_revision?: number;
  min_create_revision?: number;
  max_create_revision?: number;
}

export interface WireRangeResponse {
  header: Partial<WireHeader>;
  kvs: WireKeyValue[];
  more: boolean;
  count: number;
}

export interface WirePutRequest {
  key?: Buffer;
  value?: Buffer;
  lease?: number;
  prev_kv?: boolean;
  ignore_value?: boolean;
  ignore_lease?: boolean;
}

export interface WirePutResponse {
  header: Partial<WireHeader>;
  prev_kv?: WireKeyValue;
}

export interface WireDeleteRangeRequest {
  key?: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}

export interface WireDeleteRangeResponse {
  header: Partial<WireHeader>;
  deleted: number;
  prev_kvs: WireKeyValue[];
}

export interface WireRequestOp {
  request?: 'request_range' | 'request_put' | 'request_delete_range' | 'request_txn';
  request_range?: WireRangeRequest;
  request_put?: WirePutRequest;
  request_delete_range?: WireDeleteRangeRequest;
  request_txn?: WireTxnRequest;
}

export interface WireResponseOp {
  response_range?: WireRangeResponse;
  response_put?: WirePutResponse;
  response_delete_range?: WireDeleteRangeResponse;
  response_txn?: WireTxnResponse;
}

export type WireCompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type WireCompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

export interface WireCompare {
  result?: WireCompareResult;
  target?: WireCompareTarget;
  key?: Buffer;
  target_union?: 'version' | 'create_revision' | 'mod_revision' | 'value' | 'lease';
  version?: number;
  create_revision?: number;
  mod_revision?: number;
  value?: Buffer;
  lease?: number;
  range_end?: Buffer;
}

export interface WireTxnRequest {
  compare?: WireCompare[];
  success?: WireRequestOp[];
  failure?: WireRequestOp[];
}

export interface WireTxnResponse {
  header: Partial<WireHeader>;
  succeeded: boolean;
  responses: WireResponseOp[];
}

export interface WireCompactionRequest {
  revision?: number;
  physical?: boolean;
}

export interface WireWatchCreateRequest {
  key?: Buffer;
  range_end?: Buffer;
  start_revision?: number;
  progress_notify?: boolean;
  filters?: Array<'NOPUT' | 'NODELETE'>;
  prev_kv?: boolean;
  watch_id?: number;
  fragment?: boolean;
}

export interface WireWatchRequest {
  request_union?: 'create_request' | 'cancel_request' | 'progress_request';
  create_request?: WireWatchCreateRequest;
  cancel_request?: { watch_id?: number };
  progress_request?: Record<string, never>;
}

export interface WireWatchResponse {
  header: Partial<WireHeader>;
  watch_id: number;
  created?: boolean;
  canceled?: boolean;
  compact_revision?: number;
  cancel_reason?: string;
  fragment?: boolean;
  events?: WireEvent[];
}

/** A lease ID as a client may send it: anything that is not a positive safe integer is unknown. */
export function leaseIdOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

export function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export function bytes(value: unknown): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.alloc(0);
}
