/**
 * Range as etcd's applier does it (etcdserver/apply.go): the store reads keys in key order; a
 * sort order or a revision filter makes the read fetch the whole range, which is then pruned,
 * sorted and cut to the limit here, so every backend gets these features for free.
 */
import type { KeyValue, RangeOptions, RangeResult } from '../kv/types.ts';
import { kvToWire, keyOf, rangeEndOf } from './convert.ts';
import { num, type SortOrder, type SortTarget, type WireKeyValue, type WireRangeRequest } from './wire.ts';

export interface RangePlan {
  key: string;
  options: RangeOptions;
  /** The response fields (minus the header) from what the store returned. */
  finish(result: RangeResult): { kvs: WireKeyValue[]; more: boolean; count: number };
}

export function planRange(req: WireRangeRequest): RangePlan {
  const limit = Math.max(0, num(req.limit));
  const minMod = num(req.min_mod_revision);
  const maxMod = num(req.max_mod_revision);
  const minCreate = num(req.min_create_revision);
  const maxCreate = num(req.max_create_revision);
  const filtered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0;
  const target: SortTarget = req.sort_target ?? 'KEY';
  let order: SortOrder = req.sort_order ?? 'NONE';
  // etcd: results already come in ascending key order, so any other target sorts ascending.
  if (target !== 'KEY' && order === 'NONE') order = 'ASCEND';
  const sorted = order === 'DESCEND' || (order === 'ASCEND' && target !== 'KEY');
  const fetchAll = req.sort_order !== undefined && req.sort_order !== 'NONE' || filtered;

  const options: RangeOptions = {};
  const end = rangeEndOf(req.range_end);
  if (end !== undefined) options.end = end;
  if (num(req.revision) > 0) options.revision = num(req.revision);
  // One key beyond the limit tells whether there are more (etcd asks its store the same way).
  if (!fetchAll && limit > 0) options.limit = limit + 1;
  // Sorting by value needs the values, even when only keys are returned.
  const dropValues = req.keys_only === true && sorted && target === 'VALUE';
  if (req.keys_only && !dropValues) options.keysOnly = true;
  if (req.count_only) options.countOnly = true;

  return {
    key: keyOf(req.key),
    options,
    finish(result) {
      let kvs: KeyValue[] = result.kvs;
      if (filtered) {
        kvs = kvs.filter((kv) =>
          !(maxMod !== 0 && kv.modRevision > maxMod) &&
          !(minMod !== 0 && kv.modRevision < minMod) &&
          !(maxCreate !== 0 && kv.createRevision > maxCreate) &&
          !(minCreate !== 0 && kv.createRevision < minCreate));
      }
      if (sorted) kvs = sortKvs(kvs, target, order === 'DESCEND');
      const more = limit > 0 && kvs.length > limit;
      if (more) kvs = kvs.slice(0, limit);
      // count is the size of the whole range, before filters and limit, as in etcd.
      const wire = kvs.map(kvToWire);
      if (dropValues) for (const kv of wire) kv.value = Buffer.alloc(0);
      return { kvs: wire, more, count: result.count };
    },
  };
}

function sortKvs(kvs: KeyValue[], target: SortTarget, descend: boolean): KeyValue[] {
  const field = (kv: KeyValue): number | Buffer | string => {
    switch (target) {
      case 'VERSION': return kv.version;
      case 'CREATE': return kv.createRevision;
      case 'MOD': return kv.modRevision;
      case 'VALUE': return kv.value;
      case 'KEY': return kv.key;
    }
  };
  const cmp = (a: KeyValue, b: KeyValue): number => {
    const x = field(a);
    const y = field(b);
    if (Buffer.isBuffer(x) && Buffer.isBuffer(y)) return Buffer.compare(x, y);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  // Stable, so ties keep key order (etcd's sort is not stable; any order of ties is valid).
  const out = [...kvs].sort(cmp);
  if (descend) out.reverse();
  return out;
}
