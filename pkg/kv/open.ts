import path from 'node:path';
import type { Backend } from './types.ts';

/**
 * How the server reaches its datastore, from --datastore-endpoint:
 *   ''/absent              → sqlite in DATA_DIR/server/db/state.db (the embedded default)
 *   sqlite:///abs/path.db  → sqlite at that file
 *   etcd://h:p,h:p         → an external etcd cluster over plain gRPC (http)
 *   http(s)://h:p,...      → etcd, as etcd's own client URLs
 */
export type DatastoreEndpoint =
  | { kind: 'sqlite'; file: string }
  | { kind: 'etcd'; endpoints: string[]; tls: boolean };

export class EndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointError';
  }
}

export function parseDatastoreEndpoint(endpoint: string | undefined, dataDir: string): DatastoreEndpoint {
  const value = (endpoint ?? '').trim();
  if (value === '' || value === 'sqlite') {
    return { kind: 'sqlite', file: path.join(dataDir, 'server', 'db', 'state.db') };
  }
  if (value.startsWith('sqlite://')) {
    const file = value.slice('sqlite://'.length).split('?')[0]!;
    if (!file.startsWith('/')) throw new EndpointError(`--datastore-endpoint ${value}: sqlite:// needs an absolute path, e.g. sqlite:///var/lib/tsk/state.db`);
    return { kind: 'sqlite', file };
  }
  const etcd = /^(etcd|http|https):\/\/(.+)$/.exec(value);
  if (etcd) {
    const tls = etcd[1] === 'https';
    const endpoints = etcd[2]!.split(',').map((hostPort) => hostPort.trim().replace(/^(etcd|https?):\/\//, '').replace(/\/$/, ''));
    for (const hp of endpoints) {
      if (!/^[^\s:/]+:\d{1,5}$/.test(hp) && !/^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(hp)) {
        throw new EndpointError(`--datastore-endpoint ${value}: "${hp}" is not host:port`);
      }
    }
    return { kind: 'etcd', endpoints, tls };
  }
  throw new EndpointError(`--datastore-endpoint ${value}: unknown scheme (use sqlite:///path, etcd://host:port[,host:port] or https://host:port)`);
}

export interface OpenBackendOptions {
  endpoint?: string;
  dataDir: string;
  /** sqlite only: key prefixes held in memory and checkpointed (see sqlite/volatile.ts). */
  volatilePrefixes?: string[];
  checkpointIntervalMs?: number;
}

export async function openBackend(options: OpenBackendOptions): Promise<Backend> {
  const target = parseDatastoreEndpoint(options.endpoint, options.dataDir);
  if (target.kind === 'sqlite') {
    const { openSqliteBackend } = await import('./sqlite/backend.ts');
    return openSqliteBackend({
      file: target.file,
      volatilePrefixes: options.volatilePrefixes ?? [],
      ...(options.checkpointIntervalMs ? { volatileCheckpointMs: options.checkpointIntervalMs } : {}),
    });
  }
  const { openEtcdBackend } = await import('./etcd/backend.ts');
  return openEtcdBackend({ endpoints: target.endpoints, tls: target.tls });
}
