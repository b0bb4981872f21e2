/**
 * The one error of the API client: a Kubernetes Status (from a non-2xx answer or a watch ERROR
 * event), or a transport failure (code 0, reason 'ConnectionError'; the request may or may not
 * have been applied). Callers branch on `reason`, which is Kubernetes' StatusReason.
 */
export interface Status {
  kind?: 'Status';
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[]; retryAfterSeconds?: number };
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export class ClientError extends Error {
  /** HTTP status code; 0 when no answer arrived. */
  readonly code: number;
  /** Kubernetes StatusReason (NotFound, AlreadyExists, Conflict, Invalid, Expired, …) or ConnectionError. */
  readonly reason: string;
  readonly status: Status;

  constructor(code: number, status: Status) {
    const reason = status.reason || REASON_BY_CODE[code] || (code === 0 ? 'ConnectionError' : 'Unknown');
    super(status.message || `${reason} (${code})`);
    this.name = 'ClientError';
    this.code = code;
    this.reason = reason;
    this.status = status;
  }

  static connection(cause: unknown): ClientError {
    return new ClientError(0, { reason: 'ConnectionError', message: (cause as Error)?.message ?? String(cause) });
  }

  /** Builds the error from a response body: a Status when the server sent one, else the text. */
  static fromResponse(code: number, body: string): ClientError {
    try {
      const parsed = JSON.parse(body) as Status;
      if (parsed && parsed.kind === 'Status') return new ClientError(code, parsed);
    } catch {
      // not JSON: keep the text as the message
    }
    return new ClientError(code, { message: body.trim() || undefined });
  }
}

export function isClientError(err: unknown, reason?: string): err is ClientError {
  return err instanceof ClientError && (reason === undefined || err.reason === reason);
}

/** 410: the resourceVersion asked for is older than the server keeps (relist). */
export function isExpired(err: unknown): boolean {
  return err instanceof ClientError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}
