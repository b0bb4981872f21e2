/**
 * A byte pipe for upgrades both ends speak alike: kubectl ≤1.29's SPDY exec/attach and
 * plain-SPDY port-forward, passed on to a kubelet or to containerd's streaming server. The
 * upgrade request is repeated to the backend; its answer (101 or an error) goes back to the
 * client as it came, and after a 101 the two connections are joined byte for byte.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { STREAM_PROTOCOL_HEADER } from './spdy/upgrade.ts';
import { dialUpgrade, headerValues, refuseUpgrade, UpgradeRefusedError, writeSwitchingProtocols, type Backend } from './upgrade.ts';

/** Response headers worth repeating to the client after the backend switched protocols. */
const PASSED_BACK = ['upgrade', STREAM_PROTOCOL_HEADER.toLowerCase()];

/** Resolves once both connections are closed; failures are reported to the client, never thrown. */
export async function proxyUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, backend: Backend): Promise<void> {
  const protocols = headerValues(req.headers[STREAM_PROTOCOL_HEADER.toLowerCase()]);
  let upgraded;
  try {
    upgraded = await dialUpgrade(backend, {
      method: req.method,
      protocol: req.headers.upgrade ?? '',
      headers: protocols.length > 0 ? { [STREAM_PROTOCOL_HEADER]: protocols } : {},
    });
  } catch (err) {
    if (err instanceof UpgradeRefusedError) {
      refuseUpgrade(socket, err.status, err.body.toString('utf8'), String(err.headers['content-type'] ?? 'text/plain; charset=utf-8'));
    } else {
      refuseUpgrade(socket, 502, `error dialing backend: ${(err as Error).message}`);
    }
    return;
  }
  const headers: Record<string, string> = {};
  for (const name of PASSED_BACK) {
    const value = upgraded.response.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  writeSwitchingProtocols(socket, headers);
  if (head.length > 0) upgraded.socket.write(head);
  await join(socket, upgraded.socket);
}

/** Pipes two duplexes into each other, half-closes follow, an error or close on one side closes the other. */
export function join(a: Duplex, b: Duplex): Promise<void> {
  a.pipe(b);
  b.pipe(a);
  const closed = (s: Duplex) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
  for (const [one, other] of [[a, b], [b, a]] as const) {
    one.on('error', () => other.destroy());
    one.once('close', () => other.end());
  }
  return Promise.all([closed(a), closed(b)]).then(() => undefined);
}
