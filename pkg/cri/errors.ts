/**
 * CRI failures. The runtime answers with gRPC status codes and texts of its own; callers act on
 * the code (NotFound means the sandbox, container or image is already gone, which the kubelet
 * treats as done; Unavailable and DeadlineExceeded mean "try again later") and show the text.
 */
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

/** gRPC's status names in the CamelCase Go and the CRI documentation use. */
export type CriErrorCode =
  | 'Cancelled'
  | 'Unknown'
  | 'InvalidArgument'
  | 'DeadlineExceeded'
  | 'NotFound'
  | 'AlreadyExists'
  | 'PermissionDenied'
  | 'ResourceExhausted'
  | 'FailedPrecondition'
  | 'Aborted'
  | 'OutOfRange'
  | 'Unimplemented'
  | 'Internal'
  | 'Unavailable'
  | 'DataLoss'
  | 'Unauthenticated';

const CODE_NAMES: Record<number, CriErrorCode> = {
  [GrpcStatus.CANCELLED]: 'Cancelled',
  [GrpcStatus.UNKNOWN]: 'Unknown',
  [GrpcStatus.INVALID_ARGUMENT]: 'InvalidArgument',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DeadlineExceeded',
  [GrpcStatus.NOT_FOUND]: 'NotFound',
  [GrpcStatus.ALREADY_EXISTS]: 'AlreadyExists',
  [GrpcStatus.PERMISSION_DENIED]: 'PermissionDenied',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'ResourceExhausted',
  [GrpcStatus.FAILED_PRECONDITION]: 'FailedPrecondition',
  [GrpcStatus.ABORTED]: 'Aborted',
  [GrpcStatus.OUT_OF_RANGE]: 'OutOfRange',
  [GrpcStatus.UNIMPLEMENTED]: 'Unimplemented',
  [GrpcStatus.INTERNAL]: 'Internal',
  [GrpcStatus.UNAVAILABLE]: 'Unavailable',
  [GrpcStatus.DATA_LOSS]: 'DataLoss',
  [GrpcStatus.UNAUTHENTICATED]: 'Unauthenticated',
};
const GRPC_CODES = Object.fromEntries(Object.entries(CODE_NAMES).map(([num, name]) => [name, Number(num)])) as Record<CriErrorCode, number>;

export class CriError extends Error {
  override readonly name = 'CriError';
  /** The stable name callers compare against. */
  readonly code: CriErrorCode;
  /** The numeric gRPC status. */
  readonly grpcCode: number;
  /** The runtime's own text, e.g. `failed to pull and unpack image "…": …`. */
  readonly details: string;
  /** The RPC that failed, e.g. `RuntimeService/ContainerStatus`. */
  readonly rpc: string;

  constructor(code: CriErrorCode, rpc: string, details: string, options?: { cause?: unknown }) {
    super(`CRI ${rpc}: ${code}: ${details}`, options);
    this.code = code;
    this.grpcCode = GRPC_CODES[code];
    this.details = details;
    this.rpc = rpc;
  }
}

function isServiceError(err: unknown): err is ServiceError {
  return typeof err === 'object' && err !== null && typeof (err as ServiceError).code === 'number' && 'details' in err;
}

/** The CriError for whatever a call failed with (anything but a gRPC status is Unknown). */
export function toCriError(err: unknown, rpc: string): CriError {
  if (err instanceof CriError) return err;
  if (isServiceError(err)) return new CriError(CODE_NAMES[err.code] ?? 'Unknown', rpc, err.details ?? '', { cause: err });
  return new CriError('Unknown', rpc, err instanceof Error ? err.message : String(err), { cause: err });
}

/** The sandbox, container or image is not there (for removals: already done). */
export function isNotFound(err: unknown): boolean {
  return err instanceof CriError && err.code === 'NotFound';
}
