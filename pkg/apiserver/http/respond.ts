/**
 * Responses: what the client's Accept header asks for (JSON, YAML, a meta.k8s.io Table, or
 * PartialObjectMetadata), Status bodies for every error, and nothing else.
 */
import type { ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { stringify as toYaml } from 'yaml';
import { ApiError, apiErrors } from '../errors.ts';
import { logger } from '../../log/log.ts';

export type Response = ServerResponse | Http2ServerResponse;

const log = logger('apiserver');

export type OutputKind = 'object' | 'table' | 'partial';

export interface Output {
  kind: OutputKind;
  yaml: boolean;
}

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseMediaRanges(header: string): MediaRange[] {
  return header.split(',').map((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const eq = kv.indexOf('=');
      if (eq > 0) p[kv.slice(0, eq).trim().toLowerCase()] = kv.slice(eq + 1).trim();
    }
    return { type: (type ?? '').toLowerCase(), params: p };
  });
}

/**
 * Picks the response form: the first range we can serve wins, as Kubernetes' negotiation does.
 * 406 when nothing acceptable is offered (e.g. only protobuf for a kind we do not encode).
 */
export function negotiate(accept: string | undefined): Output {
  if (!accept || accept.trim() === '') return { kind: 'object', yaml: false };
  for (const r of parseMediaRanges(accept)) {
    const json = r.type === 'application/json' || r.type === '*/*' || r.type === 'application/*';
    const yaml = r.type === 'application/yaml';
    if (!json && !yaml) continue;
    if (r.params.as === undefined) return { kind: 'object', yaml };
    if (r.params.g === 'meta.k8s.io' && (r.params.v === 'v1' || r.params.v === 'v1beta1')) {
      if (r.params.as === 'Table') return { kind: 'table', yaml };
      if (r.params.as === 'PartialObjectMetadata' || r.params.as === 'PartialObjectMetadataList') return { kind: 'partial', yaml };
    }
  }
  throw apiErrors.notAcceptable(`only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io`);
}

export function send(res: Response, code: number, body: string | Buffer, contentType = 'application/json', headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(code, { 'content-type': contentType, 'content-length': String(data.length), 'cache-control': 'no-cache, private', ...headers });
  res.end(data);
}

/** Sends a value as JSON, or YAML when asked; `json` may be pre-serialized text. */
export function sendObject(res: Response, code: number, value: unknown, output: Output = { kind: 'object', yaml: false }, headers: Record<string, string> = {}): void {
  if (output.yaml) {
    const plain = typeof value === 'string' ? JSON.parse(value) : value;
    send(res, code, toYaml(plain), 'application/yaml', headers);
    return;
  }
  send(res, code, typeof value === 'string' ? value : JSON.stringify(value), 'application/json', headers);
}

/** Go's http.NotFound, for paths no Kubernetes handler claims: plain text, not a Status. */
export class PageNotFound extends ApiError {
  constructor() {
    super(404, 'NotFound', '404 page not found');
  }
}

export function sendError(res: Response, err: unknown): void {
  if (err instanceof PageNotFound) {
    sendText(res, 404, '404 page not found\n');
    return;
  }
  let apiErr: ApiError;
  if (err instanceof ApiError) {
    apiErr = err;
  } else {
    log.error(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    apiErr = apiErrors.internal((err as Error)?.message ?? String(err));
  }
  const headers: Record<string, string> = {};
  if (apiErr.details?.retryAfterSeconds) headers['retry-after'] = String(apiErr.details.retryAfterSeconds);
  send(res, apiErr.code, JSON.stringify(apiErr.toStatus()), 'application/json', headers);
}

export function sendText(res: Response, code: number, text: string): void {
  send(res, code, text, 'text/plain; charset=utf-8', { 'x-content-type-options': 'nosniff' });
}
