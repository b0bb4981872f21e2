/**
 * grpc.health.v1.Health, which etcd serves next to its API: load balancers, grpc_health_probe
 * and gRPC clients with health checking ask it whether the member serves. SERVING while the
 * store answers a read, NOT_SERVING otherwise.
 */
import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { FacadeContext } from './context.ts';

const HEALTH_PROTO = `syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`;

export function healthServiceDefinition(): grpc.ServiceDefinition {
  const root = new protobuf.Root();
  protobuf.parse(HEALTH_PROTO, root, { keepCase: true });
  const def = fromJSON(root.toJSON(), { keepCase: true, enums: String, defaults: true });
  return def['grpc.health.v1.Health'] as unknown as grpc.ServiceDefinition;
}

type Status = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** etcd 3.4 reports only the server as a whole (""); any other name is an unknown service. */
const KNOWN = new Set(['']);

export class HealthService {
  constructor(private readonly ctx: FacadeContext) {}

  async status(service: string): Promise<Status> {
    if (!KNOWN.has(service)) return 'SERVICE_UNKNOWN';
    try {
      await this.ctx.currentRevision();
      return 'SERVING';
    } catch {
      return 'NOT_SERVING';
    }
  }

  handlers(): grpc.UntypedServiceImplementation {
    return {
      Check: ((call, callback) => {
        const service = typeof call.request?.service === 'string' ? call.request.service : '';
        void this.status(service).then((status) => {
          if (status === 'SERVICE_UNKNOWN') callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
          else callback(null, { status });
        });
      }) satisfies grpc.handleUnaryCall<{ service?: string }, { status: Status }>,
      // One answer, then the stream stays open as the protocol expects (no change is ever pushed).
      Watch: ((call) => {
        const service = typeof call.request?.service === 'string' ? call.request.service : '';
        const stop = () => {
          if (!call.cancelled && call.writable) call.end();
        };
        this.ctx.openStreams.add(stop);
        call.on('cancelled', () => this.ctx.openStreams.delete(stop));
        call.on('close', () => this.ctx.openStreams.delete(stop));
        void this.status(service).then((status) => {
          if (!call.cancelled && call.writable) call.write({ status });
        });
      }) satisfies grpc.handleServerStreamingCall<{ service?: string }, { status: Status }>,
    };
  }
}
