/**
 * SPDY sessions from HTTP upgrades, as Kubernetes negotiates them: `Upgrade: SPDY/3.1` plus
 * X-Stream-Protocol-Version, which the client sends once per protocol it speaks (in order of
 * preference) and the server answers with the one it picked.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { dialUpgrade, headerValues, refuseUpgrade, writeSwitchingProtocols, type Backend } from '../upgrade.ts';
import { SpdySession } from './session.ts';
import type { SpdyStream } from './stream.ts';

export const SPDY_UPGRADE = 'SPDY/3.1';
export const STREAM_PROTOCOL_HEADER = 'X-Stream-Protocol-Version';

export interface SpdyConnection {
  session: SpdySession;
  /** The X-Stream-Protocol-Version both sides agreed on. */
  protocol: string;
}

/** Dials a streaming URL and starts a client session; fails unless the server picks one of `protocols`. */
export async function dialSpdy(backend: Backend, protocols: string[], method = 'POST'): Promise<SpdyConnection> {
  const { socket, response } = await dialUpgrade(backend, {
    method,
    protocol: SPDY_UPGRADE,
    headers: { [STREAM_PROTOCOL_HEADER]: protocols },
  });
  const protocol = headerValues(response.headers[STREAM_PROTOCOL_HEADER.toLowerCase()])[0] ?? '';
  if (!protocols.includes(protocol)) {
    socket.destroy();
    throw new Error(`the server chose stream protocol "${protocol}", not one of ${protocols.join(', ')}`);
  }
  return { session: new SpdySession(socket, { client: true }), protocol };
}

/**
 * Answers an upgrade request with a server session, or refuses it (400 when it is not a
 * SPDY upgrade, 403 when no protocol is shared, as the kubelet does) and returns undefined.
 */
export function acceptSpdy(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocols: string[],
  onStream: (stream: SpdyStream) => void,
): SpdyConnection | undefined {
  if ((req.headers.upgrade ?? '').toLowerCase() !== SPDY_UPGRADE.toLowerCase()) {
    refuseUpgrade(socket, 400, `unable to upgrade: expected Upgrade: ${SPDY_UPGRADE}`);
    return undefined;
  }
  const offered = headerValues(req.headers[STREAM_PROTOCOL_HEADER.toLowerCase()]);
  const protocol = offered.find((p) => protocols.includes(p));
  if (!protocol) {
    refuseUpgrade(
      socket,
      403,
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${protocols.join(' ')}]`,
    );
    return undefined;
  }
  writeSwitchingProtocols(socket, { Upgrade: SPDY_UPGRADE, [STREAM_PROTOCOL_HEADER]: protocol });
  if (head.length > 0) socket.unshift(head);
  return { session: new SpdySession(socket, { client: false, onStream }), protocol };
}
