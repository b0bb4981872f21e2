/** etcdserverpb.KV over a Backend: every write is one store txn, so it is atomic and durable when answered. */
import type { DeleteResult, PutResult } from '../kv/types.ts';
import type { FacadeContext } from './context.ts';
import { etcdErrors } from './errors.ts';
import { planRange } from './range.ts';
import { deleteFromWire, deleteResponseBody, planTxn, putFromWire, putResponseBody, txnResponse } from './txn.ts';
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest, isReadOnlyTxn } from './validate.ts';
import {
  num, type WireCompactionRequest, type WireDeleteRangeRequest, type WireDeleteRangeResponse, type WireHeader,
  type WirePutRequest, type WirePutResponse, type WireRangeRequest, type WireRangeResponse, type WireTxnRequest,
  type WireTxnResponse,
} from './wire.ts';

/** What the server knows about a request beyond its fields. */
export interface RequestInfo {
  /** Encoded size in bytes. */
  size: number;
}

export class KvService {
  constructor(private readonly ctx: FacadeContext) {}

  async Range(req: WireRangeRequest): Promise<WireRangeResponse> {
    checkRangeRequest(req);
    const plan = planRange(req);
    const result = await this.ctx.backend.range(plan.key, plan.options);
    return { header: this.ctx.header(result.revision), ...plan.finish(result) };
  }

  async Put(req: WirePutRequest, info: RequestInfo): Promise<WirePutResponse> {
    checkPutRequest(req);
    this.checkSize(info);
    const result = await this.ctx.backend.txn({ success: [putFromWire(req)] });
    const put = result.responses[0] as PutResult;
    return putResponseBody(this.ctx.header(result.revision), put.prevKv);
  }

  async DeleteRange(req: WireDeleteRangeRequest, info: RequestInfo): Promise<WireDeleteRangeResponse> {
    checkDeleteRequest(req);
    this.checkSize(info);
    const result = await this.ctx.backend.txn({ success: [deleteFromWire(req)] });
    const del = result.responses[0] as DeleteResult;
    return deleteResponseBody(this.ctx.header(result.revision), del.deleted, del.prevKvs);
  }

  async Txn(req: WireTxnRequest, info: RequestInfo): Promise<WireTxnResponse> {
    checkTxnRequest(req, this.ctx.limits.maxTxnOps);
    if (!isReadOnlyTxn(req)) this.checkSize(info);
    const plan = planTxn(req);
    const result = await this.ctx.backend.txn(plan.request);
    return { header: this.ctx.header(result.revision), ...txnResponse(plan, result) };
  }

  async Compact(req: WireCompactionRequest): Promise<{ header: WireHeader }> {
    const revision = num(req.revision);
    if (revision > 0) {
      await this.ctx.backend.compact(revision);
    } else if ((await this.ctx.backend.status()).compactRevision > 0) {
      // etcd: a revision at or below the compact revision is compacted; a never-compacted
      // store takes 0 as a no-op, which is what the kv layer cannot express.
      throw etcdErrors.compacted();
    }
    return { header: this.ctx.header(await this.ctx.currentRevision()) };
  }

  /** etcd refuses writes whose raft entry would exceed --max-request-bytes. */
  private checkSize(info: RequestInfo): void {
    if (info.size > this.ctx.limits.maxRequestBytes) throw etcdErrors.requestTooLarge();
  }
}
