/**
 * Learning the API servers of a cluster: every live server is an address of the `kubernetes`
 * Service's Endpoints in `default` (each server reconciles itself in and out, see
 * pkg/server/endpoints.ts), so reading that object now and then keeps a ServerList current.
 * Polled rather than watched: a watch would die with the server it runs on, just when the
 * list matters, and the list changes only when servers come and go.
 */
import { logger } from '../log/log.ts';
import type { Client } from './client.ts';
import { serverUrlsOfEndpoints, type ServerList } from './servers.ts';

const log = logger('servers');

export const SERVERS_POLL_MS = 15_000;
const ENDPOINTS_PATH = '/api/v1/namespaces/default/endpoints/kubernetes';

export interface ServerWatch {
  /** Resolves after the next read (successful or not): for tests and the first start. */
  refresh(): Promise<void>;
  stop(): void;
}

/**
 * Reads the servers at once and every `intervalMs`, updating `list`; `persist` is called with
 * each new list (the agent keeps it in DATA_DIR/agent so a restart while --server is down works).
 */
export function followServers(client: Client, list: ServerList, persist?: (urls: readonly string[]) => void, intervalMs = SERVERS_POLL_MS): ServerWatch {
  let stopped = false;
  const refresh = async (): Promise<void> => {
    try {
      const endpoints = await client.get(ENDPOINTS_PATH);
      const urls = serverUrlsOfEndpoints(endpoints as Parameters<typeof serverUrlsOfEndpoints>[0]);
      // An empty list is a server that just started and has not written itself yet: keep what we know.
      if (urls.length === 0 || stopped) return;
      if (list.update(urls)) {
        log.info(`API servers: ${list.all().join(' ')}`);
        persist?.(list.all());
      }
    } catch (err) {
      log.debug(`could not read the API servers: ${(err as Error).message}`);
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return {
    refresh,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
