/** etcdserverpb.Maintenance and etcdserverpb.Cluster: what etcdctl endpoint status, member list and friends need. */
import { status as grpcStatus } from '@grpc/grpc-js';
import zlib from 'node:zlib';
import type { FacadeContext } from './context.ts';
import { EtcdError } from './errors.ts';
import { num, type WireHeader } from './wire.ts';

/** What Status reports when the store names no version: etcd 3.5 is what Kubernetes expects. */
const DEFAULT_VERSION = '3.5.0';
const HASH_PAGE = 1000;

export class MaintenanceService {
  constructor(private readonly ctx: FacadeContext) {}

  async Status(): Promise<Record<string, unknown>> {
    const s = await this.ctx.backend.status();
    const id = this.ctx.identity.memberId;
    // raftIndex stands in for the store revision: both only grow, and tools only compare them.
    return {
      header: this.ctx.header(s.revision),
      version: /^\d+\.\d+\.\d+/.test(s.version) ? s.version : DEFAULT_VERSION,
      dbSize: s.dbSize,
      leader: id,
      raftIndex: s.revision,
      raftTerm: 1,
      raftAppliedIndex: s.revision,
      errors: [],
      dbSizeInUse: s.dbSizeInUse,
      isLearner: false,
    };
  }

  /** No alarms are ever raised here: the store has no quota (NOSPACE) and one copy (CORRUPT). */
  async Alarm(): Promise<{ header: WireHeader; alarms: never[] }> {
    return { header: this.ctx.header(await this.ctx.currentRevision()), alarms: [] };
  }

  /** Nothing to defragment through the API: the SQLite store reclaims space by itself. */
  async Defragment(): Promise<{ header: WireHeader }> {
    return { header: this.ctx.header(await this.ctx.currentRevision()) };
  }

  async Hash(): Promise<{ header: WireHeader; hash: number }> {
    const { hash, revision } = await this.hashAt(0);
    return { header: this.ctx.header(revision), hash };
  }

  /**
   * Best effort: a CRC-32 over every key, value and revision live at `revision` (etcd hashes
   * its whole history since the last compaction). Equal stores give equal hashes, which is
   * what comparing members needs; the numbers never match a real etcd's.
   */
  async HashKV(req: { revision?: number }): Promise<{ header: WireHeader; hash: number; compact_revision: number }> {
    const { hash, revision } = await this.hashAt(num(req.revision));
    const s = await this.ctx.backend.status();
    return { header: this.ctx.header(revision), hash, compact_revision: s.compactRevision };
  }

  /** Snapshot streams etcd's bolt database file, which this store does not have. */
  Snapshot(): never {
    throw new EtcdError(grpcStatus.UNIMPLEMENTED, 'tsk: snapshot is not supported by this datastore over the etcd API (it has no bolt file); use tsk etcd-snapshot save, whose snapshots tsk etcd-snapshot restore loads into sqlite or etcd');
  }

  async MemberList(): Promise<{ header: WireHeader; members: Array<Record<string, unknown>> }> {
    const { identity } = this.ctx;
    return {
      // etcd leaves the revision out of this header.
      header: this.ctx.header(0),
      members: [{ ID: identity.memberId, name: identity.name, peerURLs: [], clientURLs: identity.clientUrls, isLearner: false }],
    };
  }

  private async hashAt(atRevision: number): Promise<{ hash: number; revision: number }> {
    let revision = atRevision;
    if (revision <= 0) revision = await this.ctx.currentRevision();
    let hash = 0;
    let start = '\0';
    for (;;) {
      const page = await this.ctx.backend.range(start, { end: '\0', revision, limit: HASH_PAGE });
      for (const kv of page.kvs) {
        hash = zlib.crc32(Buffer.from(kv.key, 'latin1'), hash);
        hash = zlib.crc32(kv.value, hash);
        hash = zlib.crc32(`${kv.createRevision}/${kv.modRevision}/${kv.version}/${kv.lease}`, hash);
      }
      if (!page.more || page.kvs.length === 0) break;
      start = `${page.kvs[page.kvs.length - 1]!.key}\0`;
    }
    return { hash, revision };
  }
}
