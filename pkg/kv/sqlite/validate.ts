import { KvError, kvErrors } from '../errors.ts';
import { inRange } from '../keys.ts';
import type { Op, TxnRequest } from '../types.ts';

/** etcd's defaults: --max-txn-ops 128 and --max-request-bytes 1.5 MiB. */
export const MAX_TXN_OPS = 128;
export const MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/**
 * Rejects, before anything is queued, what etcd rejects: empty keys, too many operations,
 * oversized requests, and a txn branch that writes one key twice (etcd: duplicate key).
 */
export function validateTxn(req: TxnRequest): void {
  let bytes = 0;
  const visit = (r: TxnRequest): void => {
    for (const list of [r.compare ?? [], r.success ?? [], r.failure ?? []]) {
      if (list.length > MAX_TXN_OPS) throw new KvError('too-many-ops', 'etcdserver: too many operations in txn request');
    }
    for (const c of r.compare ?? []) {
      if (c.key.length === 0) throw kvErrors.emptyKey();
      bytes += c.key.length + (Buffer.isBuffer(c.value) ? c.value.length : 8);
    }
    for (const op of [...(r.success ?? []), ...(r.failure ?? [])]) {
      if (op.type === 'txn') {
        visit(op.txn);
        continue;
      }
      if (op.key.length === 0) throw kvErrors.emptyKey();
      bytes += op.key.length + (op.type === 'put' ? op.value.length : 0);
    }
  };
  visit(req);
  if (bytes > MAX_REQUEST_BYTES) throw new KvError('request-too-large', 'etcdserver: request is too large');
  checkBranch(req.success ?? []);
  checkBranch(req.failure ?? []);
}

interface Writes {
  puts: Set<string>;
  deletes: Array<{ key: string; end: string | undefined }>;
}

function checkBranch(ops: Op[]): Writes {
  const writes: Writes = { puts: new Set(), deletes: [] };
  for (const op of ops) {
    if (op.type === 'put') {
      if (writes.puts.has(op.key)) throw duplicate();
      writes.puts.add(op.key);
    } else if (op.type === 'delete') {
      writes.deletes.push({ key: op.key, end: op.end });
    } else if (op.type === 'txn') {
      // Only one branch of a nested txn runs, but either may collide with the outer ops.
      for (const branch of [checkBranch(op.txn.success ?? []), checkBranch(op.txn.failure ?? [])]) {
        for (const key of branch.puts) if (writes.puts.has(key)) throw duplicate();
        writes.deletes.push(...branch.deletes);
      }
      const inner = new Set<string>();
      for (const b of [op.txn.success ?? [], op.txn.failure ?? []]) for (const o of b) if (o.type === 'put') inner.add(o.key);
      for (const key of inner) writes.puts.add(key);
    }
  }
  for (const key of writes.puts) {
    if (writes.deletes.some((d) => inRange(key, d.key, d.end))) throw duplicate();
  }
  return writes;
}

function duplicate(): KvError {
  return new KvError('duplicate-key', 'etcdserver: duplicate key given in txn request');
}
