/** etcdserverpb.Lease over a Backend. */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { isKvError } from '../kv/errors.ts';
import { keyToBytes } from '../kv/keys.ts';
import type { FacadeContext } from './context.ts';
import { etcdErrors } from './errors.ts';
import { RequestQueue } from './queue.ts';
import { leaseIdOf, num, type WireHeader } from './wire.ts';

interface LeaseGrantRequest { TTL?: number; ID?: number }
interface LeaseIdRequest { ID?: number }
interface LeaseTimeToLiveRequest { ID?: number; keys?: boolean }

interface KeepAliveResponse { header: WireHeader; ID: number; TTL: number }

export class LeaseService {
  constructor(private readonly ctx: FacadeContext) {}

  async LeaseGrant(req: LeaseGrantRequest): Promise<{ header: WireHeader; ID: number; TTL: number; error: string }> {
    const raw = num(req.ID);
    const id = raw === 0 ? 0 : leaseIdOf(raw);
    if (id === undefined) throw etcdErrors.leaseNotFound();
    const grant = await this.ctx.backend.leaseGrant(num(req.TTL), id);
    return { header: this.ctx.header(await this.ctx.currentRevision()), ID: grant.id, TTL: grant.ttl, error: '' };
  }

  async LeaseRevoke(req: LeaseIdRequest): Promise<{ header: WireHeader }> {
    const id = leaseIdOf(req.ID);
    if (id === undefined) throw etcdErrors.leaseNotFound();
    await this.ctx.backend.leaseRevoke(id);
    return { header: this.ctx.header(await this.ctx.currentRevision()) };
  }

  async LeaseTimeToLive(req: LeaseTimeToLiveRequest): Promise<{ header: WireHeader; ID: number; TTL: number; grantedTTL: number; keys: Buffer[] }> {
    const id = leaseIdOf(req.ID);
    // etcd answers an unknown lease with TTL -1 rather than an error.
    const [ttl, revision] = await Promise.all([
      id === undefined ? { ttl: -1, grantedTtl: 0, keys: [] } : this.ctx.backend.leaseTimeToLive(id, req.keys === true),
      this.ctx.currentRevision(),
    ]);
    return {
      header: this.ctx.header(revision),
      ID: num(req.ID),
      TTL: ttl.ttl,
      grantedTTL: ttl.ttl === -1 ? 0 : ttl.grantedTtl,
      keys: ttl.keys.map(keyToBytes),
    };
  }

  async LeaseLeases(): Promise<{ header: WireHeader; leases: Array<{ ID: number }> }> {
    const [ids, revision] = await Promise.all([this.ctx.backend.leaseList(), this.ctx.currentRevision()]);
    return { header: this.ctx.header(revision), leases: ids.map((ID) => ({ ID })) };
  }

  /** One renewal per request, answered in order; an unknown lease gets TTL 0, as from etcd. */
  LeaseKeepAlive(call: ServerDuplexStream<LeaseIdRequest, KeepAliveResponse>): void {
    const queue = new RequestQueue(call, async (req: LeaseIdRequest) => {
      const id = leaseIdOf(req.ID);
      let ttl = 0;
      if (id !== undefined) {
        try {
          ttl = (await this.ctx.backend.leaseKeepAlive(id)).ttl;
        } catch (err) {
          if (!isKvError(err, 'lease-not-found')) throw err;
        }
      }
      const response: KeepAliveResponse = { header: this.ctx.header(await this.ctx.currentRevision()), ID: num(req.ID), TTL: ttl };
      if (queue.open) call.write(response);
    });
    const stop = () => queue.fail(etcdErrors.stopped());
    this.ctx.openStreams.add(stop);
    queue.onClose(() => this.ctx.openStreams.delete(stop));
    queue.start();
  }
}
