/**
 * The connections to an etcd cluster: one gRPC channel per endpoint shared by every service,
 * one current endpoint at a time (pick-first), and a move to the next endpoint when the
 * current one is unavailable. Unary calls retry there as far as errors.ts deems safe.
 */
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { etcdPackageDefinition } from '../../etcdapi/proto.ts';
import { KvError } from '../errors.ts';
import { fromGrpcError, retryable } from './errors.ts';

export type ServiceName = 'KV' | 'Watch' | 'Lease' | 'Maintenance';

/**
 * A generated client: grpc-js builds its methods at run time from the package definition,
 * so they are untyped. This is the one place `any` crosses into the backend.
 */
type DynamicClient = grpc.Client & Record<string, any>;
type ClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => DynamicClient;

export interface ConnectionOptions {
  endpoints: string[];
  tls: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Deadline of one attempt of a unary call (default 30 s). */
  requestTimeoutMs?: number;
  /** How long a call keeps moving between unavailable endpoints before failing (default 10 s). */
  retryBudgetMs?: number;
}

export interface Endpoint {
  readonly address: string;
  readonly clients: Record<ServiceName, DynamicClient>;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  // etcd bounds requests itself (--max-request-bytes) with its own error; responses such as a
  // range over many keys legitimately exceed grpc's 4 MiB default.
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  // Notice a dead member without waiting for TCP; etcd permits pings every 5 s or more.
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // Come back quickly once a member restarts (grpc's defaults back off up to 2 minutes).
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2_000,
  // channelz bookkeeping costs every call; nothing here reads it.
  'grpc.enable_channelz': 0,
};

/**
 * etcd's require-leader metadata: a member without a leader refuses a call at once with
 * "etcdserver: no leader" (safe to retry elsewhere, even for a write) instead of holding a
 * write until its 7 s request timeout, and ends a stream when it loses the leader, so a
 * partitioned member's silence becomes a failover.
 */
function requireLeader(): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('hasleader', 'true');
  return metadata;
}

function credentials(options: ConnectionOptions): grpc.ChannelCredentials {
  if (!options.tls) return grpc.credentials.createInsecure();
  const read = (file: string | undefined) => (file ? fs.readFileSync(file) : null);
  return grpc.credentials.createSsl(read(options.caFile), read(options.keyFile), read(options.certFile));
}

export class Connection {
  readonly endpoints: Endpoint[];
  private current = 0;
  private closed = false;
  private readonly inflight = new Set<Promise<unknown>>();
  readonly requestTimeoutMs: number;
  readonly retryBudgetMs: number;

  constructor(options: ConnectionOptions) {
    if (options.endpoints.length === 0) throw new Error('etcd backend: no endpoints');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.retryBudgetMs = options.retryBudgetMs ?? 10_000;
    const pkg = grpc.loadPackageDefinition(etcdPackageDefinition()) as unknown as {
      etcdserverpb: Record<ServiceName, ClientConstructor>;
    };
    const creds = credentials(options);
    this.endpoints = options.endpoints.map((address) => {
      const kv = new pkg.etcdserverpb.KV(address, creds, CHANNEL_OPTIONS);
      const shared = { ...CHANNEL_OPTIONS, channelOverride: kv.getChannel() };
      return {
        address,
        clients: {
          KV: kv,
          Watch: new pkg.etcdserverpb.Watch(address, creds, shared),
          Lease: new pkg.etcdserverpb.Lease(address, creds, shared),
          Maintenance: new pkg.etcdserverpb.Maintenance(address, creds, shared),
        },
      };
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The endpoint calls and new streams go to. */
  endpoint(): Endpoint {
    return this.endpoints[this.current]!;
  }

  /** Leave `failed` for the next endpoint, unless another caller already moved on. */
  failover(failed: Endpoint): void {
    if (this.endpoints[this.current] === failed) this.current = (this.current + 1) % this.endpoints.length;
  }

  /**
   * One unary call, moved to the next endpoint while the current one is unavailable and the
   * retry is safe (see errors.ts), within the retry budget. Failures come back as KvError
   * where etcd's error has a code.
   */
  async unary<Res>(service: ServiceName, method: string, request: object, idempotent: boolean): Promise<Res> {
    if (this.closed) throw new KvError('closed', 'the etcd backend is closed');
    const attempt = this.withRetries<Res>(service, method, request, idempotent);
    this.inflight.add(attempt);
    try {
      return await attempt;
    } finally {
      this.inflight.delete(attempt);
    }
  }

  private async withRetries<Res>(service: ServiceName, method: string, request: object, idempotent: boolean): Promise<Res> {
    const started = Date.now();
    for (let tries = 1; ; tries++) {
      const endpoint = this.endpoint();
      try {
        return await this.callOnce<Res>(endpoint, service, method, request);
      } catch (err) {
        if (this.closed) throw new KvError('closed', 'the etcd backend is closed', { cause: err });
        if (!retryable(err, idempotent) || Date.now() - started > this.retryBudgetMs) {
          throw fromGrpcError(err, `${service}.${method} on ${endpoint.address}`);
        }
        this.failover(endpoint);
        // After a full round of dead endpoints, wait a little before the next round.
        if (tries % this.endpoints.length === 0) {
          const round = tries / this.endpoints.length;
          await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** round, 1_000)));
        }
      }
    }
  }

  private callOnce<Res>(endpoint: Endpoint, service: ServiceName, method: string, request: object): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const options: grpc.CallOptions = { deadline: Date.now() + this.requestTimeoutMs };
      endpoint.clients[service][method]!(request, requireLeader(), options, (err: grpc.ServiceError | null, response: Res) => {
        if (err) reject(err);
        else resolve(response);
      });
    });
  }

  /** A bidirectional stream on the current endpoint (see requireLeader). */
  openStream(service: 'Watch' | 'Lease', method: string): { endpoint: Endpoint; call: grpc.ClientDuplexStream<any, any> } {
    if (this.closed) throw new KvError('closed', 'the etcd backend is closed');
    const endpoint = this.endpoint();
    return { endpoint, call: endpoint.clients[service][method]!(requireLeader()) };
  }

  /** Wait for calls in flight, then close every channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    for (const endpoint of this.endpoints) endpoint.clients.KV.close();
  }
}
