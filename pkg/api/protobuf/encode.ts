/**
 * JSON object → protobuf message, byte for byte as Kubernetes' gogo-generated marshalers write
 * it: fields in number order, non-pointer fields always (zero values included), pointer and
 * []byte fields only when set, repeated scalars unpacked, map entries sorted by key.
 */
import type { FieldDef, MessageDef, ScalarType } from './messages.ts';
import { encodeSpecial } from './special.ts';
import { WIRE_BYTES, WIRE_VARINT, WireError, WireWriter } from './wire.ts';

type JsonObject = Record<string, unknown>;

function toInteger(value: unknown, field: FieldDef): number | bigint {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new WireError(`field ${field.name}: ${JSON.stringify(value)} is not an integer`);
}

function writeScalar(w: WireWriter, number: number, type: ScalarType, value: unknown, field: FieldDef): void {
  switch (type) {
    case 'string':
      w.stringField(number, value === undefined || value === null ? '' : String(value));
      return;
    case 'bytes':
      w.bytesField(number, typeof value === 'string' ? Buffer.from(value, 'base64') : new Uint8Array(0));
      return;
    case 'bool':
      w.tag(number, WIRE_VARINT);
      w.varint(value === true ? 1 : 0);
      return;
    case 'double':
      w.doubleField(number, Number(value ?? 0));
      return;
    case 'int32':
    case 'int64':
      w.tag(number, WIRE_VARINT);
      w.varint(value === undefined || value === null ? 0 : toInteger(value, field));
      return;
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function encodeMessage(def: MessageDef, obj: JsonObject, w: WireWriter): void {
  for (const field of def.wireOrder) {
    const value = field.inline ? obj : obj[field.name];
    if (field.label === 'repeated') {
      if (Array.isArray(value)) for (const item of value) writeValue(w, field, field.number, item);
      continue;
    }
    if (field.label === 'map') {
      if (isObject(value)) {
        for (const key of Object.keys(value).sort()) {
          const entry = new WireWriter();
          entry.stringField(1, key);
          writeValue(entry, field, 2, value[key]);
          w.bytesField(field.number, entry.finish());
        }
      }
      continue;
    }
    // gogo writes a []byte field only when it is non-nil, like a pointer.
    const optional = field.pointer || (field.type.kind === 'scalar' && field.type.scalar === 'bytes');
    if (optional && (value === undefined || value === null)) continue;
    writeValue(w, field, field.number, value);
  }
}

/** One value of `field` under wire number `number` (2 inside a map entry). */
function writeValue(w: WireWriter, field: FieldDef, number: number, value: unknown): void {
  const type = field.type;
  if (type.kind === 'scalar') {
    writeScalar(w, number, type.scalar, value, field);
    return;
  }
  const sub = new WireWriter();
  if (type.kind === 'special') encodeSpecial(type.special, value, sub);
  else encodeMessage(type.message, isObject(value) ? value : {}, sub);
  w.tag(number, WIRE_BYTES);
  w.varint(sub.length);
  w.raw(sub.finish());
}
