/**
 * HTTP/1.1 upgrade requests (exec, attach, port-forward) go through the same authentication,
 * authorization and routing as every request: the server answers them through a response
 * bound to the raw socket, and keeps the socket and its first bytes here for the one handler
 * that takes the connection over (the kubelet proxy).
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Request } from './body.ts';
import type { Response } from './respond.ts';

export interface HeldUpgrade {
  socket: Duplex;
  head: Buffer;
}

const held = new WeakMap<object, { upgrade: HeldUpgrade; res: ServerResponse }>();

/** A response that writes on the upgrade's socket and closes it once answered. */
export function holdUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => socket.end());
  socket.on('error', () => socket.destroy());
  held.set(req, { upgrade: { socket, head }, res });
  return res;
}

/** Whether the request arrived as an HTTP/1.1 upgrade (kubectl's exec, attach and port-forward do). */
export function isUpgrade(req: Request): boolean {
  return held.has(req);
}

/** The upgrade's socket, taken away from its response; undefined when the request is no upgrade. */
export function takeUpgrade(req: Request, res: Response): HeldUpgrade | undefined {
  const entry = held.get(req);
  if (!entry || entry.res !== res) return undefined;
  held.delete(req);
  entry.res.detachSocket(entry.upgrade.socket as Socket);
  return entry.upgrade;
}
