/** Stable codes of snapshot, restore and migration failures. */
export type SnapshotErrorCode =
  | 'bad-file' // not a tsk snapshot, truncated, or its checksum does not match
  | 'in-use' // a server holds the data dir (restore), or does not answer (save)
  | 'not-empty' // the etcd keyspace to restore into already holds keys or leases
  | 'partial' // a restore into etcd failed partway (what it wrote was removed, or the message says how)
  | 'not-found' // no snapshot of that name
  | 'bad-cron'; // --etcd-snapshot-schedule-cron does not parse

export class SnapshotError extends Error {
  readonly code: SnapshotErrorCode;

  constructor(code: SnapshotErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnapshotError';
    this.code = code;
  }
}
