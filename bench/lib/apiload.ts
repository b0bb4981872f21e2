/**
 * Load for the API server from worker threads (apiload-worker.mjs), so the client's TLS and
 * HTTP/2 work is spread over the machine's cores instead of pacing the measurement from one
 * event loop. Each worker runs its share of the connections, which take requests in turn, and
 * reports per request when it was sent and answered (process.hrtime.bigint, shared by threads).
 */
import { Worker } from 'node:worker_threads';

export interface Creds {
  ca: string;
  cert: string;
  key: string;
}

export interface LoadRequest {
  method: string;
  path: string;
  body?: unknown;
  /** The answer's status this request must get. */
  expect: number;
}

export interface Timing {
  /** Index of the request in the list given to runLoad. */
  index: number;
  sent: bigint;
  done: bigint;
}

type WireTiming = [number, string, string];

/** Runs `requests` over `clients` connections split across `threads` workers; timings in request order per worker. */
export async function runLoad(url: string, creds: Creds, requests: LoadRequest[], clients: number, threads: number): Promise<Timing[]> {
  const perThread = Math.ceil(requests.length / threads);
  const parts = Array.from({ length: threads }, (_, i) => requests.slice(i * perThread, (i + 1) * perThread));
  const results = await Promise.all(parts.map((part, i) => new Promise<WireTiming[]>((resolve, reject) => {
    const clientsHere = Math.floor(clients / threads) + (i < clients % threads ? 1 : 0);
    const worker = new Worker(new URL('./apiload-worker.mjs', import.meta.url), {
      workerData: { offset: i * perThread, url, creds, clients: clientsHere, requests: part },
    });
    worker.once('message', (m: WireTiming[] | { error: string }) => {
      void worker.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    worker.once('error', reject);
  })));
  return results.flat().map(([index, s, d]) => ({ index, sent: BigInt(s), done: BigInt(d) }));
}
