/**
 * The port of containerd's CRI streaming server. containerd builds the exec/attach/port-forward
 * URLs it hands the kubelet from its configured address, so the port must be a real number (0
 * would yield URLs naming port 0). k3s pins 10010; a second agent on the same network namespace
 * (a server's own agent beside a joined one, or a test's) would then fail to start, so when
 * 10010 is taken the agent takes a free loopback port instead. Only the kubelet uses the port,
 * through the URLs containerd returns, so nothing else needs to know it.
 */
import net from 'node:net';
import { DEFAULT_STREAM_SERVER_PORT } from './config.ts';

/** Resolves with the port if 127.0.0.1:`port` can be bound now (0: any free port), else undefined. */
function tryBind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/** DEFAULT_STREAM_SERVER_PORT when free, else a free loopback port. */
export async function pickStreamServerPort(): Promise<number> {
  const preferred = await tryBind(DEFAULT_STREAM_SERVER_PORT);
  if (preferred !== undefined) return preferred;
  const any = await tryBind(0);
  if (any === undefined) throw new Error('no free loopback port for containerd\'s streaming server');
  return any;
}
