/**
 * Request bodies: read with a size limit, decoded from JSON, YAML or Kubernetes protobuf into
 * a plain object. Malformed, oversized or absurdly nested input ends as the 400/413/415 Status
 * kube-apiserver sends (its decoder's words, wrapped as transformDecodeError wraps them), never
 * as a crash or a stack overflow further down.
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { KObject } from '../../api/types.ts';
import { ApiError, apiErrors } from '../errors.ts';
import { GO_JSON_MAX_DEPTH, goJsonKind, goJsonSyntaxError, summarizeBody } from './gojson.ts';
import { parseYamlBody, YamlBodyError, YamlTooDeepError, type YamlBody } from './yamlbody.ts';

/** Kubernetes refuses request bodies over 3 MiB (the datastore would refuse the value anyway). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/**
 * Deeper nesting than any real object; walkers below recurse, so cap it before them. Go's
 * decoders allow 10,000 levels; bodies between the two are refused in our own words.
 */
export const MAX_DEPTH = 256;

export type Request = IncomingMessage | Http2ServerRequest;

export async function readBody(req: Request, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) throw apiErrors.tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw apiErrors.tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function tooDeep(): Error {
  return apiErrors.badRequest(`the object nests deeper than ${MAX_DEPTH} levels`);
}

/** Throws 400 when a value nests deeper than MAX_DEPTH (checked iteratively). */
export function checkDepth(value: unknown): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_DEPTH) throw tooDeep();
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}

/** transformDecodeError when the body named no kind: the decoder's error and a glimpse of the body. */
export function unrecognizedBody(target: string, message: string, body: Uint8Array): Error {
  return apiErrors.badRequest(`the object provided is unrecognized (must be of type ${target}): ${message} (${summarizeBody(body)})`);
}

/** transformDecodeError once the body named its kind: `<Kind> in version "<v>" cannot be handled as a <Target>`. */
export function unhandledKind(kind: string, version: string, target: string, message: string): Error {
  return apiErrors.badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${target}: ${message}`);
}

/** JSON text → value, refused with encoding/json's syntax error as Kubernetes' decoder reports it. */
export function parseJsonBody(body: Uint8Array, target: string): unknown {
  // JSON.parse takes what Go's scanner takes but for nesting past its depth limit, which needs
  // a longer body: a short body it parses needs no scan (the scan is the costlier of the two).
  if (body.length <= GO_JSON_MAX_DEPTH) {
    try {
      return JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      // Refused below in Go's words.
    }
  }
  const syntax = goJsonSyntaxError(body);
  if (syntax !== undefined) throw unrecognizedBody(target, `couldn't get version/kind; json parse error: ${syntax}`, body);
  try {
    return JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (err) {
    if (err instanceof RangeError) throw tooDeep();
    throw err;
  }
}

function parseYaml(body: Uint8Array, target: string): YamlBody {
  try {
    return parseYamlBody(Buffer.from(body).toString('utf8'), MAX_DEPTH);
  } catch (err) {
    if (err instanceof YamlBodyError) throw unrecognizedBody(target, `error converting YAML to JSON: ${err.message}`, body);
    if (err instanceof YamlTooDeepError || err instanceof RangeError) throw tooDeep();
    throw err;
  }
}

/** The type the decoder reads apiVersion and kind with, as reflect prints it in its errors. */
const TYPE_META_STRUCT = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/** apiVersion and kind as the body gives them ('' when absent), before any default applies. */
export interface BodyTypeMeta {
  group: string;
  version: string;
  kind: string;
}

/**
 * SimpleMetaFactory.Interpret: apiVersion and kind read as encoding/json reads them into a
 * struct (keys matched without regard to case, the last one winning, wrong types refused).
 */
function interpretTypeMeta(value: unknown, body: Uint8Array, target: string): BodyTypeMeta {
  const refuse = (detail: string): never => {
    throw unrecognizedBody(target, `couldn't get version/kind; json parse error: ${detail}`, body);
  };
  if (value === null) return { group: '', version: '', kind: '' };
  if (typeof value !== 'object' || Array.isArray(value)) refuse(`json: cannot unmarshal ${goJsonKind(value)} into Go value of type ${TYPE_META_STRUCT}`);
  let apiVersion = '';
  let kind = '';
  let firstError: string | undefined;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const field = key.toLowerCase();
    if (field !== 'apiversion' && field !== 'kind') continue;
    if (v === null) continue;
    if (typeof v !== 'string') {
      firstError ??= `json: cannot unmarshal ${goJsonKind(v)} into Go struct field .${field === 'kind' ? 'kind' : 'apiVersion'} of type string`;
      continue;
    }
    if (field === 'kind') kind = v;
    else apiVersion = v;
  }
  if (firstError !== undefined) refuse(firstError);
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '', kind };
  const slashes = apiVersion.split('/').length - 1;
  if (slashes > 1) throw unrecognizedBody(target, `unexpected GroupVersion string: ${apiVersion}`, body);
  const [group, version] = slashes === 0 ? ['', apiVersion] : apiVersion.split('/') as [string, string];
  return { group, version, kind };
}

export type ProtobufDecoder = (body: Buffer) => Promise<KObject>;

export type BodyFormat = 'json' | 'yaml' | 'protobuf';

/** NegotiateInputSerializer's 415: a Status naming what is accepted, nothing more. */
function unsupportedBodyType(accepted: string[]): Error {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

/**
 * The decoder a Content-Type picks, checked before the body is read as Kubernetes does: JSON
 * when absent, exactly application/yaml for YAML, protobuf only for kinds that have it.
 */
export function bodyFormat(contentType: string | undefined, protobufAccepted: boolean): BodyFormat {
  const type = mediaType(contentType);
  if (type === 'application/json' || type === '') return 'json';
  if (type === 'application/yaml') return 'yaml';
  if (type === 'application/vnd.kubernetes.protobuf' && protobufAccepted) return 'protobuf';
  throw unsupportedBodyType(protobufAccepted ? ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'] : ['application/json', 'application/yaml']);
}

export interface DecodedBody {
  obj: KObject;
  /** What the body itself said of its type (protobuf bodies: after the envelope's defaults). */
  typeMeta: BodyTypeMeta;
  /** YAML keys given twice: go-yaml's strict error text, for strict field validation. */
  yamlDuplicates?: string;
}

/**
 * Decodes an object body read in `format`; `protobuf` is loaded only when first needed.
 * `target` is the kind the URL expects, named in Kubernetes' decode errors.
 */
export async function decodeObject(body: Buffer, format: BodyFormat, protobuf: ProtobufDecoder, target: string): Promise<DecodedBody> {
  let value: unknown;
  let yamlDuplicates: string | undefined;
  if (format === 'yaml') {
    const yaml = parseYaml(body, target);
    value = yaml.value;
    if (yaml.duplicates.length > 0) yamlDuplicates = `error converting YAML to JSON: yaml: unmarshal errors:\n  ${yaml.duplicates.join('\n  ')}`;
  } else {
    value = format === 'json' ? parseJsonBody(body, target) : await protobuf(body);
  }
  checkDepth(value);
  const typeMeta = interpretTypeMeta(value, body, target);
  const obj = (value ?? {}) as KObject;
  return { obj, typeMeta, yamlDuplicates };
}
