/** What every service of the facade shares: the store, who "this member" is, and the limits. */
import { createHash } from 'node:crypto';
import type { Backend } from '../kv/types.ts';
import type { WireHeader } from './wire.ts';

/**
 * etcd lets gRPC messages exceed --max-request-bytes by this much (so its own check answers
 * instead of gRPC's), and fragments watch responses only beyond the sum.
 */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;

export interface FacadeLimits {
  /** etcd's --max-request-bytes (default 1.5 MiB): larger writes get "request is too large". */
  maxRequestBytes: number;
  /** etcd's --max-txn-ops (default 128). */
  maxTxnOps: number;
  /** How often watches that asked for progress_notify get one when idle (etcd: 10 min). */
  progressNotifyIntervalMs: number;
  /** Bytes a watch stream may have queued for a client that reads slowly before its watch is cancelled. */
  watchStreamBufferBytes: number;
}

export interface Identity {
  clusterId: number;
  memberId: number;
  name: string;
  /** Filled in once the server listens: MemberList reports it. */
  clientUrls: string[];
}

export class FacadeContext {
  /** How to end each open stream (watch, keep-alive) when the server stops. */
  readonly openStreams = new Set<() => void>();

  constructor(
    readonly backend: Backend,
    readonly identity: Identity,
    readonly limits: FacadeLimits,
  ) {}

  /** etcd's response header. raft_term is 1: one member that has always been leader. */
  header(revision: number): WireHeader {
    return { cluster_id: this.identity.clusterId, member_id: this.identity.memberId, revision, raft_term: 1 };
  }

  /**
   * The store's current revision, for responses that carry one but read nothing (leases,
   * watch created/cancel). A count of one key is the cheapest read every backend offers.
   */
  async currentRevision(): Promise<number> {
    return (await this.backend.range('\0', { countOnly: true })).revision;
  }
}

/**
 * IDs that stay the same across restarts over the same store (clients and dashboards compare
 * them), derived from the backend's name; 52 bits so they survive JSON and JS numbers intact.
 */
export function stableId(kind: string, seed: string): number {
  const digest = createHash('sha256').update(`tsk ${kind}\0${seed}`).digest();
  const id = digest.readUIntBE(0, 6) * 16 + (digest[6]! >> 4);
  return id === 0 ? 1 : id;
}
