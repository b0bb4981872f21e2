/**
 * API errors: every failure a client sees is a meta/v1 Status with Kubernetes' reason, code
 * and message text, since kubectl and client libraries branch on reason and print the message
 * as it is ("Error from server (NotFound): pods "web" not found").
 */
import type { FieldError } from '../api/types.ts';

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason | '';
  details?: StatusDetails;
  code: number;
}

/** The resource a message names: 'pods' or 'deployments.apps'. */
export interface QualifiedResource {
  group: string;
  resource: string;
}

export function qualified(r: QualifiedResource): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

function details(r: QualifiedResource, name?: string, kind?: string): StatusDetails {
  // StatusDetails.group is omitempty in Kubernetes: the core group leaves it out.
  const d: StatusDetails = r.group === '' ? { kind: kind ?? r.resource } : { group: r.group, kind: kind ?? r.resource };
  if (name !== undefined && name !== '') d.name = name;
  return d;
}

const TYPE_TEXT: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueNotFound: 'Not found',
  InternalError: 'Internal error',
};

/** Types whose message leaves the value out (field.Error.ErrorBody in apimachinery). */
const WITHOUT_VALUE = new Set<FieldError['type']>(['FieldValueRequired', 'FieldValueForbidden', 'FieldValueTooLong', 'InternalError']);

function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * Kubernetes' field error text: `<field>: <type>[: <value>][: <detail>]`, e.g.
 * `spec.replicas: Invalid value: -1: must be greater than or equal to 0`.
 */
export function fieldErrorMessage(e: FieldError): string {
  let body = TYPE_TEXT[e.type] ?? 'Internal error';
  if (!WITHOUT_VALUE.has(e.type)) body += `: ${goValue(e.badValue)}`;
  let detail = e.detail ?? '';
  if (e.type === 'FieldValueNotSupported' && e.supported?.length && !detail) {
    detail = `supported values: ${e.supported.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (detail) body += `: ${detail}`;
  return `${e.field}: ${body}`;
}

/** Constructors with Kubernetes' exact wording; kubectl users recognise these messages. */
export const apiErrors = {
  notFound: (r: QualifiedResource, name: string) =>
    new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, details(r, name)),
  alreadyExists: (r: QualifiedResource, name: string) =>
    new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, details(r, name)),
  conflict: (r: QualifiedResource, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
    new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, details(r, name)),
  /** kind is the Kind ('Deployment'), group its API group: `Deployment.apps "web" is invalid: ...`. */
  invalid: (kind: string, group: string, name: string, errors: FieldError[]) => {
    const qualifiedKind = group === '' ? kind : `${kind}.${group}`;
    const messages = errors.map(fieldErrorMessage);
    const text = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${text}`, {
      ...(name === '' ? {} : { name }),
      ...(group === '' ? {} : { group }),
      kind,
      causes: errors.map((e, i) => ({ reason: e.type, message: messages[i]!.slice(e.field.length + 2), field: e.field })),
    });
  },
  badRequest: (message: string, causes?: StatusCause[]) =>
    new ApiError(400, 'BadRequest', message, causes ? { causes } : undefined),
  unauthorized: () => new ApiError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (message: string, r?: QualifiedResource, name?: string) =>
    new ApiError(403, 'Forbidden', message, r ? details(r, name) : undefined),
  methodNotAllowed: (message: string) => new ApiError(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => new ApiError(406, 'NotAcceptable', message),
  unsupportedMediaType: (_contentType: string) =>
    new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`),
  unsupportedPatch: (contentType: string) =>
    new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`),
  tooLarge: (limit: number) => new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`),
  /** 410 for a watch or list from a compacted resourceVersion. */
  expired: (requested: number, oldest: number) =>
    new ApiError(410, 'Expired', `too old resource version: ${requested} (${oldest})`),
  expiredWith: (message: string) => new ApiError(410, 'Expired', message),
  internal: (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }),
  /** Kubernetes' NewTimeoutError: "Timeout: <message>", with when to retry. */
  timeout: (message: string, retryAfterSeconds = 1) => new ApiError(504, 'Timeout', `Timeout: ${message}`, { retryAfterSeconds }),
  /** A resourceVersion the datastore has not reached (and may never): 504 with the cause clients look for. */
  tooLargeResourceVersion: (requested: number, current: number) =>
    new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    }),
  unavailable: (message: string) => new ApiError(503, 'ServiceUnavailable', message),
  tooManyRequests: (message: string, retryAfterSeconds = 1) =>
    new ApiError(429, 'TooManyRequests', message, { retryAfterSeconds }),
};
