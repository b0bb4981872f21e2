/**
 * The etcd v3 API over the server's datastore (--etcd-listen-client-url), loaded only when
 * asked for, so a server without it does not pay for loading gRPC.
 */
import type { Backend } from '../kv/types.ts';

export interface EtcdFacade {
  /** Where it listens: host:port actually bound, or unix:path. */
  address: string;
  close(): Promise<void>;
}

export async function startEtcdFacade(backend: Backend, listenUrl: string): Promise<EtcdFacade> {
  const { startEtcdApiServer } = await import('../etcdapi/server.ts');
  return startEtcdApiServer(backend, { listenUrl });
}
