/**
 * The grpc probe: grpc.health.v1.Health/Check on the pod's port, as kubelet's gRPC prober
 * does, with its messages. The two messages involved are one field each, so they are encoded
 * here by hand instead of loading a .proto: HealthCheckRequest { string service = 1 },
 * HealthCheckResponse { ServingStatus status = 1 } with SERVING = 1.
 */
import * as grpc from '@grpc/grpc-js';
import type { ActionResult } from './actions.ts';

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** Field 1, wire type 2 (length-delimited): the service name. */
function encodeRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  if (name.length > 127) throw new Error('service name too long for a one-byte length');
  return Buffer.concat([Buffer.from([0x0a, name.length]), name]);
}

/** Field 1, wire type 0 (varint): the serving status; absent means UNKNOWN (0). */
function decodeStatus(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const key = bytes[i++]!;
    if (key === 0x08) return bytes[i]!;
    // Skip other fields: varints and length-delimited values only in this message.
    if ((key & 7) === 0) while (bytes[i++]! & 0x80);
    else if ((key & 7) === 2) i += 1 + bytes[i]!;
    else break;
  }
  return 0;
}

export function grpcHealthCheck(host: string, port: number, service: string, timeoutMs: number): Promise<ActionResult> {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  return new Promise<ActionResult>((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (s: string) => encodeRequest(s),
      (b: Buffer) => decodeStatus(b),
      service,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (err, status) => {
        client.close();
        if (err) {
          if (err.code === grpc.status.DEADLINE_EXCEEDED || err.code === grpc.status.UNAVAILABLE) {
            return resolve({ outcome: 'failure', output: `timeout: failed to connect service "${target}" within ${timeoutMs / 1000}s: ${err.details}` });
          }
          return resolve({ outcome: 'failure', output: `error: this server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details}` });
        }
        const name = SERVING_STATUS[status ?? 0] ?? 'UNKNOWN';
        resolve(status === 1 ? { outcome: 'success', output: '' } : { outcome: 'failure', output: `service unhealthy (responded with "${name}")` });
      },
    );
  });
}
