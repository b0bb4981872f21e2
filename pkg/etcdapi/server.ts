/**
 * The etcd v3 gRPC API over any pkg/kv Backend (`tsk server --etcd-listen-client-url`), so
 * etcdctl, etcd client libraries and etcd benchmarks work against tsk's datastore.
 *
 * The parts: kv.ts (KV service; range.ts sorts and filters, txn.ts maps txns, validate.ts
 * makes etcd's request checks), watch.ts (one session per Watch stream; progress.ts answers
 * progress requests), lease.ts, maintenance.ts (Maintenance and Cluster), health.ts,
 * errors.ts (etcd's exact error codes and messages), authority.ts + hpack.ts (let Go
 * clients' unusual HTTP/2 authorities through). The behaviour is checked against a real
 * etcd 3.4 by parity.test.ts and etcdctl.test.ts, which run the same scripts against both.
 */
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import type { Backend } from '../kv/types.ts';
import { logger } from '../log/log.ts';
import { FacadeContext, GRPC_OVERHEAD_BYTES, stableId, type FacadeLimits } from './context.ts';
import { acceptConnection } from './authority.ts';
import { isExpectedError, toServiceError } from './errors.ts';
import { HealthService, healthServiceDefinition } from './health.ts';
import { KvService, type RequestInfo } from './kv.ts';
import { LeaseService } from './lease.ts';
import { MaintenanceService } from './maintenance.ts';
import { etcdPackageDefinition } from './proto.ts';
import { WatchSession } from './watch.ts';

const log = logger('etcdapi');

export interface EtcdApiServerOptions extends Partial<FacadeLimits> {
  /** http://IP:PORT (port 0: an ephemeral one) or unix:///path/to/socket. */
  listenUrl: string;
  /** The member name MemberList shows (default: the host name). */
  name?: string;
  /** The client URLs MemberList shows (default: the listen URL with its actual port). */
  advertiseClientUrls?: string[];
  /** Pass client bytes through the :authority rewriter (default true; see authority.ts). */
  rewriteAuthority?: boolean;
  clusterId?: number;
  memberId?: number;
}

export interface EtcdApiServer {
  /** host:port actually bound (or unix:path). */
  address: string;
  close(): Promise<void>;
}

export const DEFAULT_LIMITS: FacadeLimits = {
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxTxnOps: 128,
  progressNotifyIntervalMs: 10_000,
  watchStreamBufferBytes: 64 * 1024 * 1024,
};

export async function startEtcdApiServer(backend: Backend, opts: EtcdApiServerOptions): Promise<EtcdApiServer> {
  const target = parseListenUrl(opts.listenUrl);
  const limits: FacadeLimits = {
    maxRequestBytes: opts.maxRequestBytes ?? DEFAULT_LIMITS.maxRequestBytes,
    maxTxnOps: opts.maxTxnOps ?? DEFAULT_LIMITS.maxTxnOps,
    progressNotifyIntervalMs: opts.progressNotifyIntervalMs ?? DEFAULT_LIMITS.progressNotifyIntervalMs,
    watchStreamBufferBytes: opts.watchStreamBufferBytes ?? DEFAULT_LIMITS.watchStreamBufferBytes,
  };
  const ctx = new FacadeContext(backend, {
    clusterId: opts.clusterId ?? stableId('cluster', backend.name),
    memberId: opts.memberId ?? stableId('member', backend.name),
    name: opts.name ?? os.hostname(),
    clientUrls: [],
  }, limits);

  const server = new grpc.Server({
    'grpc.max_receive_message_length': limits.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    'grpc.max_send_message_length': -1,
    // Watch streams can hold a message in flight each; Node's 10 MB default per session is tight.
    'grpc-node.max_session_memory': 256,
    // etcd's server keepalive: find clients that vanished without closing their watch streams.
    'grpc.keepalive_time_ms': 2 * 60 * 60 * 1000,
    'grpc.keepalive_timeout_ms': 20_000,
    // channelz bookkeeping costs every call; nothing here reads it.
    'grpc.enable_channelz': 0,
  });
  const kv = new KvService(ctx);
  const lease = new LeaseService(ctx);
  const maintenance = new MaintenanceService(ctx);
  server.addService(service('KV'), {
    Range: unary((r) => kv.Range(r)),
    Put: unary((r, info) => kv.Put(r, info)),
    DeleteRange: unary((r, info) => kv.DeleteRange(r, info)),
    Txn: unary((r, info) => kv.Txn(r, info)),
    Compact: unary((r) => kv.Compact(r)),
  });
  server.addService(service('Watch'), {
    Watch: bidi((call) => {
      new WatchSession(ctx, call);
    }),
  });
  server.addService(service('Lease'), {
    LeaseGrant: unary((r) => lease.LeaseGrant(r)),
    LeaseRevoke: unary((r) => lease.LeaseRevoke(r)),
    LeaseKeepAlive: bidi((call) => lease.LeaseKeepAlive(call)),
    LeaseTimeToLive: unary((r) => lease.LeaseTimeToLive(r)),
    LeaseLeases: unary(() => lease.LeaseLeases()),
  });
  server.addService(service('Maintenance'), {
    Alarm: unary(() => maintenance.Alarm()),
    Status: unary(() => maintenance.Status()),
    Defragment: unary(() => maintenance.Defragment()),
    Hash: unary(() => maintenance.Hash()),
    HashKV: unary((r) => maintenance.HashKV(r)),
    Snapshot: ((call) => {
      try {
        maintenance.Snapshot();
      } catch (err) {
        call.emit('error', toServiceError(err));
      }
    }) satisfies grpc.handleServerStreamingCall<unknown, unknown>,
  });
  server.addService(service('Cluster'), {
    MemberList: unary(() => maintenance.MemberList()),
  });
  server.addService(healthServiceDefinition(), new HealthService(ctx).handlers());

  // Connections are accepted here and handed to gRPC, so their bytes can pass the authority
  // rewriter first (authority.ts: Go etcd clients send authorities Node's HTTP/2 refuses).
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const rewrite = opts.rewriteAuthority ?? true;
  const listener = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.setNoDelay(true);
    if (rewrite) acceptConnection(socket, (connection) => injector.injectConnection(connection));
    else injector.injectConnection(socket);
  });
  try {
    await listen(listener, target);
  } catch (err) {
    injector.destroy();
    server.forceShutdown();
    throw err;
  }
  listener.on('error', (err) => log.warn(`etcd API listener: ${err.message}`));
  const bound = listener.address();
  const address = target.unix ? `unix:${target.path}` : `${target.host}:${(bound as net.AddressInfo).port}`;
  ctx.identity.clientUrls = opts.advertiseClientUrls ?? [target.unix ? `unix://${target.path}` : `http://${address}`];

  let closing: Promise<void> | undefined;
  return {
    address,
    close: () => {
      closing ??= (async () => {
        listener.close();
        for (const stop of [...ctx.openStreams]) stop();
        await new Promise<void>((resolve) => {
          // Unary calls in flight get a moment to answer; then every connection is cut.
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 2000);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        injector.destroy();
      })();
      return closing;
    },
  };
}

function listen(listener: net.Server, target: ListenTarget): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    const ready = () => {
      listener.off('error', reject);
      resolve();
    };
    if (target.unix) {
      // As etcd does: a socket file left by a process that died is replaced.
      if (fs.statSync(target.path, { throwIfNoEntry: false })?.isSocket()) fs.unlinkSync(target.path);
      listener.listen(target.path, ready);
    } else {
      listener.listen(target.port, target.host.replace(/^\[|\]$/g, ''), ready);
    }
  });
}

interface ListenTarget {
  host: string;
  port: number;
  /** The socket file of a unix:// URL. */
  path: string;
  unix: boolean;
}

/** etcd's client URL forms: http://host:port (2379 when absent) and unix://path. */
export function parseListenUrl(listenUrl: string): ListenTarget {
  let url: URL;
  try {
    url = new URL(listenUrl);
  } catch {
    throw new Error(`etcd listen URL "${listenUrl}" is not a URL (want http://IP:PORT)`);
  }
  if (url.protocol === 'unix:' || url.protocol === 'unixs:') {
    const file = `${url.host}${url.pathname}`;
    if (file === '') throw new Error(`etcd listen URL "${listenUrl}" names no socket file`);
    return { host: '', port: 0, path: file, unix: true };
  }
  if (url.protocol !== 'http:') throw new Error(`etcd listen URL "${listenUrl}": only http:// and unix:// are served (no TLS yet)`);
  if (url.pathname !== '/' && url.pathname !== '') throw new Error(`etcd listen URL "${listenUrl}" must not have a path`);
  const host = url.hostname;
  const port = url.port === '' ? 2379 : Number(url.port);
  return { host, port, path: '', unix: false };
}

/**
 * A service of the etcd schema whose request decoders also note each request's encoded size
 * (etcd's --max-request-bytes is about bytes on the wire, which decoded objects no longer tell).
 */
const requestSizes = new WeakMap<object, number>();

function service(name: string): grpc.ServiceDefinition {
  const raw = etcdPackageDefinition()[`etcdserverpb.${name}`] as unknown as grpc.ServiceDefinition;
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [method, def] of Object.entries(raw)) {
    out[method] = {
      ...def,
      requestDeserialize: (buf: Buffer) => {
        const req: unknown = def.requestDeserialize(buf);
        if (req !== null && typeof req === 'object') requestSizes.set(req, buf.length);
        return req;
      },
    };
  }
  return out;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the gRPC boundary: decoded messages are typed by the handlers */
function unary(fn: (req: any, info: RequestInfo) => Promise<unknown>): grpc.handleUnaryCall<any, any> {
  return (call, callback) => {
    const info: RequestInfo = { size: requestSizes.get(call.request as object) ?? 0 };
    let result: Promise<unknown>;
    try {
      result = fn(call.request ?? {}, info);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (response) => callback(null, response),
      (err: unknown) => {
        if (!isExpectedError(err)) log.warn(`${call.getPath()} failed: ${(err as Error)?.stack ?? String(err)}`);
        callback(toServiceError(err));
      },
    );
  };
}

function bidi(fn: (call: grpc.ServerDuplexStream<any, any>) => void): grpc.handleBidiStreamingCall<any, any> {
  return (call) => {
    try {
      fn(call);
    } catch (err) {
      log.warn(`${call.getPath()} failed to start: ${(err as Error)?.stack ?? String(err)}`);
      call.emit('error', toServiceError(err));
    }
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */
