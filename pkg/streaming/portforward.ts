/**
 * port-forward between kubectl and a backend that speaks SPDY (portforward.k8s.io: per
 * forwarded connection a data and an error stream, headers streamType, port, requestID).
 * kubectl 1.31+ tunnels those SPDY frames inside binary WebSocket messages (subprotocol
 * "SPDY/3.1+portforward.k8s.io"); older kubectl sends plain SPDY. Either way the SPDY bytes
 * themselves pass through untouched: unwrap the tunnel, or pipe.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream } from 'ws';
import { SPDY_UPGRADE, STREAM_PROTOCOL_HEADER } from './spdy/upgrade.ts';
import { join, proxyUpgrade } from './upgradeproxy.ts';
import { dialUpgrade, refuseUpgrade, UpgradeRefusedError, type Backend } from './upgrade.ts';
import { acceptWebSocket, isWebSocketUpgrade } from './websocket/channels.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const PORT_FORWARD_TUNNEL_PROTOCOL = `${SPDY_UPGRADE}+${PORT_FORWARD_PROTOCOL}`;

/**
 * Serves a port-forward upgrade request by bridging it to `backend` (a streaming URL). Call
 * from an HTTP server's 'upgrade' handler after authorizing the request. Resolves when both
 * sides are closed; failures are reported to the client, never thrown.
 */
export async function bridgePortForward(req: http.IncomingMessage, socket: Duplex, head: Buffer, backend: Backend): Promise<void> {
  if (!isWebSocketUpgrade(req)) return proxyUpgrade(req, socket, head, backend);
  // Reach the backend first, so that a refusal can still be an HTTP answer kubectl prints.
  let upgraded;
  try {
    upgraded = await dialUpgrade(backend, {
      method: 'POST',
      protocol: SPDY_UPGRADE,
      headers: { [STREAM_PROTOCOL_HEADER]: PORT_FORWARD_PROTOCOL },
    });
  } catch (err) {
    if (err instanceof UpgradeRefusedError) refuseUpgrade(socket, err.status, err.body.toString('utf8'));
    else refuseUpgrade(socket, 502, `error dialing backend: ${(err as Error).message}`);
    return;
  }
  const accepted = await acceptWebSocket(req, socket, head, [PORT_FORWARD_TUNNEL_PROTOCOL]);
  if (!accepted) {
    upgraded.socket.destroy();
    return;
  }
  const tunnel = createWebSocketStream(accepted.ws);
  await join(tunnel, upgraded.socket);
}
