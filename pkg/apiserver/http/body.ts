/**
 * Request bodies: read with a size limit, decoded from JSON, YAML or Kubernetes protobuf into
 * a plain object. Malformed, oversized or absurdly nested input ends as a 400/413/415 Status,
 * never as a crash or a stack overflow further down.
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { parse as parseYaml } from 'yaml';
import type { KObject } from '../../api/types.ts';
import { apiErrors } from '../errors.ts';

/** Kubernetes refuses request bodies over 3 MiB (the datastore would refuse the value anyway). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Deeper nesting than any real object; walkers below recurse, so cap it before them. */
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

/** Throws 400 when a value nests deeper than MAX_DEPTH (checked iteratively). */
export function checkDepth(value: unknown): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_DEPTH) throw apiErrors.badRequest(`the object nests deeper than ${MAX_DEPTH} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
}

/** Parses JSON, reporting errors as Kubernetes does for bodies it cannot decode. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof RangeError) throw apiErrors.badRequest('the object nests too deeply');
    throw apiErrors.badRequest(`error decoding JSON: ${(err as Error).message}`);
  }
}

export function parseYamlBody(text: string): unknown {
  try {
    // Aliases are how a small YAML document becomes a huge object: keep them few.
    return parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, merge: false });
  } catch (err) {
    if (err instanceof RangeError) throw apiErrors.badRequest('the object nests too deeply');
    throw apiErrors.badRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

export type ProtobufDecoder = (body: Buffer) => Promise<KObject>;

/** Decodes an object body by Content-Type; `protobuf` is loaded only when first needed. */
export async function decodeObject(body: Buffer, contentType: string | undefined, protobuf: ProtobufDecoder): Promise<KObject> {
  const type = mediaType(contentType);
  let value: unknown;
  if (type === 'application/json' || type === '') {
    value = parseJson(body.toString('utf8'));
  } else if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    value = parseYamlBody(body.toString('utf8'));
  } else if (type === 'application/vnd.kubernetes.protobuf') {
    value = await protobuf(body);
  } else {
    throw apiErrors.unsupportedMediaType(type);
  }
  checkDepth(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw apiErrors.badRequest(`Object 'Kind' is missing in '${body.toString('utf8').slice(0, 100)}'`);
  }
  const obj = value as KObject;
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
    throw apiErrors.badRequest('metadata must be an object');
  }
  return obj;
}
