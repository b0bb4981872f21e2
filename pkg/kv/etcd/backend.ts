/**
 * The Backend over an external etcd cluster (--datastore-endpoint etcd://…): each method is
 * one etcd v3 call through @grpc/grpc-js; watches share one stream (watcher.ts); renewals
 * share one keepalive stream (keepalive.ts); endpoints fail over (connection.ts).
 */
import crypto from 'node:crypto';
import { KvError, isKvError, kvErrors } from '../errors.ts';
import { keyFromBytes } from '../keys.ts';
import type {
  Backend, BackendStatus, LeaseGrant, LeaseTimeToLive, RangeOptions, RangeResult, TxnRequest, TxnResult,
  Watch, WatchBatch, WatchOptions,
} from '../types.ts';
import { findCompactRevision, probeWith } from './compact-revision.ts';
import { Connection, type ConnectionOptions } from './connection.ts';
import { KeepAliveStream } from './keepalive.ts';
import { WatchMux } from './watcher.ts';
import {
  fromRangeResponse, fromTxnResponse, headerRevision, toRangeRequest, toTxnRequest,
  type WireHeader, type WireRangeResponse, type WireTxnResponse,
} from './wire.ts';

export type EtcdBackendOptions = ConnectionOptions;

/** etcd's limit (lease.MaxLeaseTTL); larger TTLs get "etcdserver: too large lease TTL". */
const MAX_LEASE_TTL = 9_000_000_000;

interface WireLeaseGrantResponse { header: WireHeader | null; ID: number; TTL: number; error: string }
interface WireTimeToLiveResponse { header: WireHeader | null; ID: number; TTL: number; grantedTTL: number; keys: Buffer[] }
interface WireLeasesResponse { header: WireHeader | null; leases: Array<{ ID: number }> }
interface WireStatusResponse { header: WireHeader | null; version: string; dbSize: number; dbSizeInUse: number }
interface WireHeaderOnly { header: WireHeader | null }

/** A random lease id in [1, 2^53): exact as a JS number, unlike the ids etcd picks. */
function randomLeaseId(): number {
  const id = Number(crypto.randomBytes(8).readBigUInt64BE() & ((1n << 53n) - 1n));
  return id === 0 ? 1 : id;
}

export class EtcdBackend implements Backend {
  readonly name: string;
  private readonly connection: Connection;
  private readonly watches: WatchMux;
  private readonly keepAlives: KeepAliveStream;
  /** The highest revision any response carried: where a watch "from now" starts after. */
  private seenRevision = 0;
  /** A lower bound of the compact revision, to shorten status()'s search. */
  private knownCompactRevision = 0;
  private closing: Promise<void> | undefined;

  constructor(options: EtcdBackendOptions) {
    this.connection = new Connection(options);
    this.name = `etcd ${options.tls ? 'https' : 'http'}://${options.endpoints.join(',')}`;
    const note = (revision: number) => this.note(revision);
    this.watches = new WatchMux(this.connection, () => this.seenRevision, note);
    this.keepAlives = new KeepAliveStream(this.connection, note);
  }

  private note(revision: number): void {
    if (revision > this.seenRevision) this.seenRevision = revision;
  }

  private async call<Res extends { header: WireHeader | null }>(
    service: 'KV' | 'Lease' | 'Maintenance', method: string, request: object, idempotent: boolean,
  ): Promise<Res> {
    const res = await this.connection.unary<Res>(service, method, request, idempotent);
    this.note(headerRevision(res.header));
    return res;
  }

  async range(key: string, options: RangeOptions = {}): Promise<RangeResult> {
    const res = await this.call<WireRangeResponse>('KV', 'Range', toRangeRequest(key, options), true);
    return fromRangeResponse(res);
  }

  async txn(request: TxnRequest): Promise<TxnResult> {
    const writes = hasWrites(request);
    const res = await this.call<WireTxnResponse>('KV', 'Txn', toTxnRequest(request), !writes);
    return fromTxnResponse(res);
  }

  async compact(revision: number): Promise<void> {
    try {
      // Logical compaction: reads below take effect at once; etcd frees space in the background.
      await this.call<WireHeaderOnly>('KV', 'Compact', { revision, physical: false }, false);
      this.knownCompactRevision = Math.max(this.knownCompactRevision, revision);
    } catch (err) {
      throw isKvError(err, 'compacted') ? withCompactRevision(err, await this.compactRevision()) : err;
    }
  }

  watch(key: string, options: WatchOptions, handler: (batch: WatchBatch) => void): Watch {
    return this.watches.watch(key, options, (batch) => {
      const compacted = batch.error?.compactRevision;
      if (compacted !== undefined && compacted > this.knownCompactRevision) this.knownCompactRevision = compacted;
      handler(batch);
    });
  }

  async leaseGrant(ttl: number, id = 0): Promise<LeaseGrant> {
    if (!Number.isFinite(ttl) || ttl > MAX_LEASE_TTL) throw new KvError('invalid-ttl', 'etcdserver: too large lease TTL');
    if (id !== 0) {
      if (id < 0 || !Number.isSafeInteger(id)) throw kvErrors.leaseNotFound();
      return this.grant(Math.ceil(ttl), id);
    }
    // Our own ids, since etcd's are 63-bit and would not survive a JS number; a collision
    // with an existing lease is astronomically rare but cheap to retry.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.grant(Math.ceil(ttl), randomLeaseId());
      } catch (err) {
        if (!isKvError(err, 'lease-exists') || attempt >= 3) throw err;
      }
    }
  }

  private async grant(ttl: number, id: number): Promise<LeaseGrant> {
    const res = await this.call<WireLeaseGrantResponse>('Lease', 'LeaseGrant', { TTL: ttl, ID: id }, false);
    if (res.error) throw new KvError('unavailable', `etcd lease grant: ${res.error}`);
    return { id: res.ID, ttl: res.TTL };
  }

  async leaseRevoke(id: number): Promise<void> {
    await this.call<WireHeaderOnly>('Lease', 'LeaseRevoke', { ID: id }, false);
  }

  leaseKeepAlive(id: number): Promise<LeaseGrant> {
    return this.keepAlives.renew(id);
  }

  async leaseTimeToLive(id: number, withKeys = false): Promise<LeaseTimeToLive> {
    const res = await this.call<WireTimeToLiveResponse>('Lease', 'LeaseTimeToLive', { ID: id, keys: withKeys }, true);
    // etcd answers TTL -1 (not an error) for a lease that does not exist.
    if (res.TTL < 0) return { id, ttl: -1, grantedTtl: 0, keys: [] };
    return { id: res.ID, ttl: res.TTL, grantedTtl: res.grantedTTL, keys: res.keys.map(keyFromBytes).sort() };
  }

  async leaseList(): Promise<number[]> {
    const res = await this.call<WireLeasesResponse>('Lease', 'LeaseLeases', {}, true);
    return res.leases.map((l) => l.ID);
  }

  async status(): Promise<BackendStatus> {
    const res = await this.call<WireStatusResponse>('Maintenance', 'Status', {}, true);
    const revision = headerRevision(res.header);
    return {
      revision,
      compactRevision: await this.compactRevision(revision),
      dbSize: res.dbSize,
      dbSizeInUse: res.dbSizeInUse,
      version: res.version,
    };
  }

  private async compactRevision(current?: number): Promise<number> {
    const now = current ?? (await this.range('\0', { countOnly: true })).revision;
    const probe = probeWith((revision) => this.range('\0', { revision, countOnly: true }));
    this.knownCompactRevision = await findCompactRevision(probe, this.knownCompactRevision, now);
    return this.knownCompactRevision;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.watches.close();
      this.keepAlives.close();
      await this.connection.close();
    })();
    return this.closing;
  }
}

function hasWrites(request: TxnRequest): boolean {
  for (const op of [...(request.success ?? []), ...(request.failure ?? [])]) {
    if (op.type === 'put' || op.type === 'delete') return true;
    if (op.type === 'txn' && hasWrites(op.txn)) return true;
  }
  return false;
}

function withCompactRevision(err: KvError, compactRevision: number): KvError {
  return new KvError(err.code, err.message, { compactRevision, cause: err.cause ?? err });
}

/**
 * Connects to an etcd cluster and checks that it answers (a first read through the failover
 * path), so a wrong endpoint fails here rather than on the first request.
 */
export async function openEtcdBackend(options: EtcdBackendOptions): Promise<EtcdBackend> {
  const backend = new EtcdBackend(options);
  try {
    await backend.range('\0', { countOnly: true });
  } catch (err) {
    await backend.close();
    throw err;
  }
  return backend;
}
