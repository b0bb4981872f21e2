/** The etcd v3 API over the server's datastore (--etcd-listen-client-url), started on request. */
import type { Backend } from '../kv/types.ts';

export interface EtcdFacade {
  /** Where it listens, e.g. 127.0.0.1:2379. */
  address: string;
  close(): Promise<void>;
}

export async function startEtcdFacade(backend: Backend, listenUrl: string): Promise<EtcdFacade> {
  const { startEtcdApiServer } = await import('../etcdapi/server.ts');
  const server = await startEtcdApiServer(backend, { listenUrl });
  return { address: String(server.address), close: async () => server.close() };
}
