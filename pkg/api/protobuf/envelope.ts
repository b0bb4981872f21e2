/**
 * The Kubernetes protobuf envelope: the magic bytes `k8s\0`, then a runtime.Unknown message
 * {1: typeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType} whose raw
 * bytes are the object's own message. Failures become the 400s kube-apiserver sends, worded as
 * its decoder and transformDecodeError word them.
 */
import type { KObject } from '../types.ts';
import { ApiError, apiErrors } from '../../apiserver/errors.ts';
import { Decoder } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { kindRegistry } from './registry.ts';
import { WIRE_BYTES, WireError, WireReader, WireWriter } from './wire.ts';

export const PROTOBUF_MAGIC = Buffer.from('k8s\0', 'latin1');
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** The kind the URL addresses: the default for a missing typeMeta, and named in error messages. */
export interface ExpectedKind {
  apiVersion: string;
  kind: string;
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

class DecodeFailure extends Error {
  constructor(
    message: string,
    /** Set once the envelope named a kind: the message then says "<Kind> in version …". */
    readonly envelope?: { apiVersion: string; kind: string },
  ) {
    super(message);
  }
}

function readTypeMeta(r: WireReader): { apiVersion: string; kind: string } {
  const meta = { apiVersion: '', kind: '' };
  while (!r.done()) {
    const [field, wire] = r.tag('TypeMeta');
    if (field === 1 && wire === WIRE_BYTES) meta.apiVersion = r.string();
    else if (field === 2 && wire === WIRE_BYTES) meta.kind = r.string();
    else r.skip(wire);
  }
  return meta;
}

function readEnvelope(body: Uint8Array): Envelope {
  if (body.length === 0) throw new DecodeFailure('empty data');
  if (body.length < 4 || !PROTOBUF_MAGIC.equals(body.subarray(0, 4))) {
    throw new DecodeFailure('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  if (body.length === 4) throw new DecodeFailure('empty body');
  const r = new WireReader(body, 4);
  const envelope: Envelope = { apiVersion: '', kind: '', raw: new Uint8Array(0) };
  while (!r.done()) {
    const [field, wire] = r.tag('Unknown');
    if (field === 1 && wire === WIRE_BYTES) {
      const [start, end] = r.range();
      Object.assign(envelope, readTypeMeta(new WireReader(body, start, end)));
    } else if (field === 2 && wire === WIRE_BYTES) envelope.raw = r.bytes();
    else r.skip(wire);
  }
  return envelope;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Go's hex.EncodeToString of the first 30 bytes, as summarizeData does for non-JSON bodies. */
function summarize(body: Uint8Array): string {
  if (body.length === 0) return '<empty>';
  const hex = Buffer.from(body.subarray(0, 30)).toString('hex');
  return body.length > 30 ? `${hex} ...` : hex;
}

function decodeUnchecked(body: Uint8Array, expected?: ExpectedKind): KObject {
  let envelope: Envelope;
  try {
    envelope = readEnvelope(body);
  } catch (err) {
    if (err instanceof DecodeFailure) throw err;
    throw new DecodeFailure(err instanceof Error ? err.message : String(err));
  }
  const apiVersion = envelope.apiVersion || expected?.apiVersion || '';
  const kind = envelope.kind || expected?.kind || '';
  if (kind === '') throw new DecodeFailure(`Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:${JSON.stringify(envelope.apiVersion)}, Kind:""}'`);
  const named = { apiVersion, kind };
  const def = kindRegistry().lookup(apiVersion, kind);
  if (!def) {
    throw new DecodeFailure(`no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme "pkg/api/legacyscheme/scheme.go:30"`, named);
  }
  try {
    const decoder = new Decoder((raw) => decodeUnchecked(raw));
    const fields = decoder.message(def, new WireReader(envelope.raw));
    return { apiVersion, kind, ...fields } as KObject;
  } catch (err) {
    if (err instanceof WireError) throw new DecodeFailure(err.message, named);
    throw err;
  }
}

/**
 * Decodes a request body sent as `application/vnd.kubernetes.protobuf` into the plain object
 * the JSON decoder would have produced for the same request. Throws ApiError 400 BadRequest.
 */
export function decodeProtobufObject(body: Uint8Array, expected?: ExpectedKind): KObject {
  try {
    return decodeUnchecked(body, expected);
  } catch (err) {
    const target = expected?.kind ?? 'Object';
    if (err instanceof DecodeFailure) {
      if (err.envelope) {
        const version = splitApiVersion(err.envelope.apiVersion).version;
        throw apiErrors.badRequest(`${err.envelope.kind} in version ${JSON.stringify(version)} cannot be handled as a ${target}: ${err.message}`);
      }
      throw apiErrors.badRequest(`the object provided is unrecognized (must be of type ${target}): ${err.message} (${summarize(body)})`);
    }
    if (err instanceof ApiError) throw err;
    throw apiErrors.badRequest(`the object provided is unrecognized (must be of type ${target}): ${err instanceof Error ? err.message : String(err)} (${summarize(body)})`);
  }
}

/** Whether apiVersion/kind has a protobuf form (built-in kinds do; custom resources do not). */
export function supportsProtobuf(apiVersion: string, kind: string): boolean {
  return kindRegistry().lookup(apiVersion, kind) !== undefined;
}

/** The message bytes of an object without the envelope (what a watch event's raw field nests). */
function encodeBare(obj: KObject): { apiVersion: string; kind: string; raw: Buffer } {
  const apiVersion = obj.apiVersion ?? '';
  const kind = obj.kind ?? '';
  const def = kindRegistry().lookup(apiVersion, kind);
  if (!def) throw new Error(`no protobuf message for ${apiVersion}, Kind=${kind}`);
  const w = new WireWriter();
  encodeMessage(def, obj as Record<string, unknown>, w);
  return { apiVersion, kind, raw: w.finish() };
}

/** Encodes an object (including Lists and Status) for a client that accepts only protobuf. */
export function encodeProtobufObject(obj: KObject): Buffer {
  const { apiVersion, kind, raw } = encodeBare(obj);
  const typeMeta = new WireWriter();
  typeMeta.stringField(1, apiVersion);
  typeMeta.stringField(2, kind);
  const w = new WireWriter();
  w.raw(PROTOBUF_MAGIC);
  w.bytesField(1, typeMeta.finish());
  w.bytesField(2, raw);
  w.stringField(3, '');
  w.stringField(4, '');
  return w.finish();
}

/**
 * One frame of a watch stream served as `application/vnd.kubernetes.protobuf;stream=watch`:
 * a 4-byte big-endian length, then a bare WatchEvent whose object is the enveloped object.
 */
export function encodeProtobufWatchEvent(type: string, obj: KObject): Buffer {
  const object = new WireWriter();
  object.bytesField(1, encodeProtobufObject(obj));
  const event = new WireWriter();
  event.stringField(1, type);
  event.bytesField(2, object.finish());
  const body = event.finish();
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  return frame;
}
