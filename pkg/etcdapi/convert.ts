/** Between the kv layer's types and etcd's wire messages. */
import { keyFromBytes, keyToBytes, RANGE_END_ALL } from '../kv/keys.ts';
import type { Compare, CompareResult, CompareTarget, KeyValue, WatchEvent } from '../kv/types.ts';
import { bytes, num, type WireCompare, type WireCompareResult, type WireCompareTarget, type WireEvent, type WireKeyValue } from './wire.ts';

export function kvToWire(kv: KeyValue): WireKeyValue {
  return {
    key: keyToBytes(kv.key),
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: kv.value,
    lease: kv.lease,
  };
}

export function eventToWire(event: WatchEvent, withPrev: boolean): WireEvent {
  const wire: WireEvent = { type: event.type === 'put' ? 'PUT' : 'DELETE', kv: kvToWire(event.kv) };
  if (withPrev && event.prevKv) wire.prev_kv = kvToWire(event.prevKv);
  return wire;
}

/** Rough encoded size, for fragmenting and for bounding what a watch stream queues. */
export function eventSize(event: WireEvent): number {
  let size = 32 + event.kv.key.length + event.kv.value.length;
  if (event.prev_kv) size += 32 + event.prev_kv.key.length + event.prev_kv.value.length;
  return size;
}

export function keyOf(value: unknown): string {
  return keyFromBytes(bytes(value));
}

/** A wire range_end: empty = the single key, "\0" = every key from the start key on. */
export function rangeEndOf(value: unknown): string | undefined {
  const end = bytes(value);
  if (end.length === 0) return undefined;
  if (end.length === 1 && end[0] === 0) return RANGE_END_ALL;
  return keyFromBytes(end);
}

const COMPARE_RESULTS: Record<WireCompareResult, CompareResult> = { EQUAL: '=', GREATER: '>', LESS: '<', NOT_EQUAL: '!=' };
const COMPARE_TARGETS: Record<WireCompareTarget, CompareTarget> = {
  VERSION: 'version', CREATE: 'create', MOD: 'mod', VALUE: 'value', LEASE: 'lease',
};

/**
 * etcd reads the operand that matches the target and ignores the rest of the oneof, so a
 * VERSION compare that carries a value compares against version 0.
 */
export function compareFromWire(c: WireCompare): Compare {
  const target = COMPARE_TARGETS[c.target ?? 'VERSION'] ?? 'version';
  const result = COMPARE_RESULTS[c.result ?? 'EQUAL'] ?? '=';
  let value: number | Buffer;
  switch (target) {
    case 'version': value = c.target_union === 'version' ? num(c.version) : 0; break;
    case 'create': value = c.target_union === 'create_revision' ? num(c.create_revision) : 0; break;
    case 'mod': value = c.target_union === 'mod_revision' ? num(c.mod_revision) : 0; break;
    case 'lease': value = c.target_union === 'lease' ? num(c.lease) : 0; break;
    case 'value': value = c.target_union === 'value' ? bytes(c.value) : Buffer.alloc(0); break;
  }
  const compare: Compare = { key: keyOf(c.key), target, result, value };
  const end = rangeEndOf(c.range_end);
  if (end !== undefined) compare.end = end;
  return compare;
}
