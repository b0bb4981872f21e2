/**
 * Lease renewals. etcd offers them only as a bidirectional stream, so one stream is opened
 * on first use and shared; each renewal is a request and the next response for that lease
 * id. A renewal is idempotent, so one lost with a broken stream is sent again on a new one.
 */
import type * as grpc from '@grpc/grpc-js';
import { KvError, kvErrors } from '../errors.ts';
import type { LeaseGrant } from '../types.ts';
import type { Connection, Endpoint } from './connection.ts';
import { fromGrpcError, isServiceError } from './errors.ts';
import { headerRevision, type WireHeader } from './wire.ts';

interface WireKeepAliveResponse {
  header: WireHeader | null;
  ID: number;
  TTL: number;
}

interface Pending {
  id: number;
  resolve: (grant: LeaseGrant) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  attempts: number;
}

export class KeepAliveStream {
  private stream: grpc.ClientDuplexStream<object, WireKeepAliveResponse> | undefined;
  private endpoint: Endpoint | undefined;
  /** Renewals awaiting an answer, oldest first per lease id (etcd answers in order). */
  private readonly pending = new Map<number, Pending[]>();
  private closed = false;

  constructor(
    private readonly connection: Connection,
    private readonly noteRevision: (revision: number) => void,
  ) {}

  renew(id: number): Promise<LeaseGrant> {
    if (this.closed) return Promise.reject(new KvError('closed', 'the etcd backend is closed'));
    return new Promise<LeaseGrant>((resolve, reject) => {
      const p: Pending = { id, resolve, reject, attempts: 0, timer: setTimeout(() => this.expire(p), this.connection.requestTimeoutMs) };
      const queue = this.pending.get(id) ?? [];
      queue.push(p);
      this.pending.set(id, queue);
      this.send(p);
    });
  }

  close(): void {
    this.closed = true;
    this.stream?.cancel();
    this.stream = undefined;
    for (const queue of this.pending.values()) for (const p of queue) this.settle(p, new KvError('closed', 'the etcd backend is closed'));
  }

  private send(p: Pending): void {
    p.attempts++;
    try {
      this.ensureStream().write({ ID: p.id });
    } catch (err) {
      this.settle(p, fromGrpcError(err, 'lease keepalive'));
    }
  }

  private ensureStream(): grpc.ClientDuplexStream<object, WireKeepAliveResponse> {
    if (this.stream) return this.stream;
    const opened = this.connection.openStream('Lease', 'LeaseKeepAlive');
    const stream = opened.call as grpc.ClientDuplexStream<object, WireKeepAliveResponse>;
    this.stream = stream;
    this.endpoint = opened.endpoint;
    stream.on('data', (res: WireKeepAliveResponse) => this.receive(res));
    stream.on('error', (err: Error) => this.broken(stream, err));
    stream.on('end', () => this.broken(stream, new Error('etcd ended the keepalive stream')));
    return stream;
  }

  private receive(res: WireKeepAliveResponse): void {
    const revision = headerRevision(res.header);
    if (revision > 0) this.noteRevision(revision);
    const p = this.pending.get(res.ID)?.[0];
    if (!p) return;
    // etcd answers a renewal of a missing lease with TTL 0 rather than an error.
    if (res.TTL <= 0) this.settle(p, kvErrors.leaseNotFound());
    else this.settle(p, undefined, { id: res.ID, ttl: res.TTL });
  }

  private broken(stream: grpc.ClientDuplexStream<object, WireKeepAliveResponse>, err: Error): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    if (this.closed) return;
    if (isServiceError(err)) this.connection.failover(this.endpoint!);
    const retry: Pending[] = [];
    for (const queue of this.pending.values()) retry.push(...queue);
    for (const p of retry) {
      if (p.attempts >= 3 * this.connection.endpoints.length) this.settle(p, fromGrpcError(err, 'lease keepalive'));
    }
    // Re-send what is still waiting, after a short pause so a dead endpoint is not hammered.
    setTimeout(() => {
      for (const queue of this.pending.values()) for (const p of queue) if (!this.closed) this.send(p);
    }, 100);
  }

  private expire(p: Pending): void {
    this.settle(p, new KvError('unavailable', `etcd lease keepalive: no answer within ${this.connection.requestTimeoutMs} ms`));
  }

  private settle(p: Pending, err: Error | undefined, grant?: LeaseGrant): void {
    const queue = this.pending.get(p.id);
    const index = queue?.indexOf(p) ?? -1;
    if (index < 0) return;
    queue!.splice(index, 1);
    if (queue!.length === 0) this.pending.delete(p.id);
    clearTimeout(p.timer);
    if (err) p.reject(err);
    else p.resolve(grant!);
  }
}
