/**
 * Types whose JSON form differs from their message: times are RFC 3339 strings, IntOrString is a
 * bare number or string, a Quantity its canonical string, raw extensions embedded JSON.
 */
import type { SpecialType } from './messages.ts';
import { WIRE_BYTES, WIRE_VARINT, WireError, WireReader, WireWriter } from './wire.ts';

/** Go's zero time.Time (0001-01-01T00:00:00Z) as Unix seconds: JSON prints it as null. */
const GO_ZERO_TIME_SECONDS = -62135596800;

/** Decodes an object nested in a RawExtension that carries protobuf rather than JSON. */
export type NestedDecoder = (raw: Uint8Array) => unknown;

function readTimestamp(r: WireReader): { seconds: number; nanos: number } {
  let seconds = 0;
  let nanos = 0;
  while (!r.done()) {
    const [field, wire] = r.tag('Timestamp');
    if (field === 1 && wire === WIRE_VARINT) seconds = r.int64();
    else if (field === 2 && wire === WIRE_VARINT) nanos = r.int32();
    else r.skip(wire);
  }
  return { seconds, nanos };
}

function formatTime(seconds: number, nanos: number, micro: boolean): string | null {
  if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0) return null;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (!micro) return `${base}Z`;
  return `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** RFC 3339 to Unix seconds and nanoseconds, keeping every fractional digit JavaScript dates drop. */
function parseTime(text: string): { seconds: number; nanos: number } {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new WireError(`invalid time ${JSON.stringify(text)}`);
  const fraction = /T\d\d:\d\d:\d\d\.(\d+)/.exec(text)?.[1] ?? '';
  return { seconds: Math.floor(ms / 1000), nanos: Number(fraction.slice(0, 9).padEnd(9, '0')) };
}

function parseRaw(raw: Uint8Array, nested: NestedDecoder): unknown {
  if (raw.length === 0) return null;
  if (raw[0] === 0x6b && raw[1] === 0x38 && raw[2] === 0x73 && raw[3] === 0) return nested(raw);
  try {
    return JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8'));
  } catch {
    throw new WireError('raw extension is neither JSON nor a Kubernetes protobuf object');
  }
}

export function decodeSpecial(type: SpecialType, r: WireReader, nested: NestedDecoder): unknown {
  switch (type) {
    case 'Time':
    case 'MicroTime': {
      if (r.done()) return null;
      const { seconds, nanos } = readTimestamp(r);
      return formatTime(seconds, nanos, type === 'MicroTime');
    }
    case 'IntOrString': {
      let kind = 0;
      let intVal = 0;
      let strVal = '';
      while (!r.done()) {
        const [field, wire] = r.tag('IntOrString');
        if (field === 1 && wire === WIRE_VARINT) kind = r.int64();
        else if (field === 2 && wire === WIRE_VARINT) intVal = r.int32();
        else if (field === 3 && wire === WIRE_BYTES) strVal = r.string();
        else r.skip(wire);
      }
      return kind === 1 ? strVal : intVal;
    }
    case 'Quantity': {
      let value = '0';
      while (!r.done()) {
        const [field, wire] = r.tag('Quantity');
        if (field === 1 && wire === WIRE_BYTES) value = r.string();
        else r.skip(wire);
      }
      return value;
    }
    case 'RawExtension':
    case 'FieldsV1': {
      let raw: Uint8Array = new Uint8Array(0);
      while (!r.done()) {
        const [field, wire] = r.tag(type);
        if (field === 1 && wire === WIRE_BYTES) raw = r.bytes();
        else r.skip(wire);
      }
      return parseRaw(raw, nested);
    }
    case 'ExtraValue': {
      const items: string[] = [];
      while (!r.done()) {
        const [field, wire] = r.tag('ExtraValue');
        if (field === 1 && wire === WIRE_BYTES) items.push(r.string());
        else r.skip(wire);
      }
      return items;
    }
  }
}

/** The zero value Go's JSON prints for a non-pointer field of this type. */
export function specialZero(type: SpecialType): unknown {
  switch (type) {
    case 'IntOrString':
      return 0;
    case 'Quantity':
      return '0';
    case 'ExtraValue':
      return [];
    default:
      return null;
  }
}

/** Writes the message body (without tag and length) the way gogo's generated code does. */
export function encodeSpecial(type: SpecialType, value: unknown, w: WireWriter): void {
  switch (type) {
    case 'Time':
    case 'MicroTime': {
      if (value === null || value === undefined || value === '') return;
      const { seconds, nanos } = parseTime(String(value));
      w.tag(1, WIRE_VARINT);
      w.varint(seconds);
      w.tag(2, WIRE_VARINT);
      w.varint(type === 'Time' ? 0 : nanos - (nanos % 1000));
      return;
    }
    case 'IntOrString': {
      const isString = typeof value === 'string';
      w.tag(1, WIRE_VARINT);
      w.varint(isString ? 1 : 0);
      w.tag(2, WIRE_VARINT);
      w.varint(isString ? 0 : Number(value ?? 0));
      w.stringField(3, isString ? value : '');
      return;
    }
    case 'Quantity':
      w.stringField(1, value === null || value === undefined ? '0' : String(value));
      return;
    case 'RawExtension':
    case 'FieldsV1':
      if (value !== null && value !== undefined) w.stringField(1, JSON.stringify(value));
      return;
    case 'ExtraValue':
      if (Array.isArray(value)) for (const item of value) w.stringField(1, String(item));
      return;
  }
}
