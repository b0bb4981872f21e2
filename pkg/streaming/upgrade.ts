/**
 * HTTP/1.1 upgrades, both ways: dialing a backend that should answer 101 Switching Protocols
 * (containerd's streaming server, a kubelet) and answering one ourselves on a raw socket.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';

/** Where a stream goes next: containerd's streaming URL (plain HTTP) or a kubelet (HTTPS with the API server's client certificate). */
export interface Backend {
  url: string | URL;
  /** CA, client certificate and key, servername, for an https URL. */
  tls?: tls.ConnectionOptions;
  /** Extra request headers (for example Authorization). */
  headers?: Record<string, string>;
}

/** The backend answered the upgrade with an ordinary response (an error, usually). */
export class UpgradeRefusedError extends Error {
  override name = 'UpgradeRefusedError';
  constructor(readonly status: number, readonly headers: http.IncomingHttpHeaders, readonly body: Buffer) {
    super(`upgrade refused with HTTP ${status}: ${body.toString('utf8').trim().slice(0, 500)}`);
  }
}

export interface Upgraded {
  socket: Duplex;
  response: http.IncomingMessage;
}

/** Sends an upgrade request and resolves with the switched socket; rejects with UpgradeRefusedError on any other answer. */
export function dialUpgrade(
  backend: Backend,
  request: { method?: string; protocol: string; headers?: Record<string, string | string[]> },
): Promise<Upgraded> {
  const url = new URL(backend.url);
  const secure = url.protocol === 'https:';
  const options: https.RequestOptions = {
    method: request.method ?? 'POST',
    agent: false,
    headers: { ...backend.headers, ...request.headers, Connection: 'Upgrade', Upgrade: request.protocol },
    ...(secure ? backend.tls : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(url, options);
    req.on('upgrade', (response: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      resolve({ socket, response });
    });
    req.on('response', (response: http.IncomingMessage) => {
      const body: Buffer[] = [];
      response.on('data', (chunk: Buffer) => body.push(chunk));
      response.on('end', () => reject(new UpgradeRefusedError(response.statusCode ?? 0, response.headers, Buffer.concat(body))));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes a 101 response on the raw socket of an upgrade request. */
export function writeSwitchingProtocols(socket: Duplex, headers: Record<string, string>): void {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.write(lines.join('\r\n') + '\r\n\r\n');
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string, contentType = 'text/plain; charset=utf-8'): void {
  const body = Buffer.from(message);
  const reason = http.STATUS_CODES[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n` + message,
  );
}

/** The values of a header that may be sent several times (Node joins repeated lines with ", "). */
export function headerValues(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : value ?? '';
  return joined.split(',').map((v) => v.trim()).filter((v) => v !== '');
}
