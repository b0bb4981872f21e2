/**
 * Protobuf message → the plain JSON object Go's encoding/json would print for the same struct:
 * omitempty zero values left out, pointer fields kept whenever set, non-pointer structs always
 * present (an empty Time as null), bytes as base64, maps as objects.
 */
import type { FieldDef, MessageDef, ScalarType } from './messages.ts';
import { type NestedDecoder, decodeSpecial, specialZero } from './special.ts';
import { WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT, WireError, WireReader } from './wire.ts';

type JsonObject = Record<string, unknown>;

/** Field values as read, before omitempty rules apply. */
type Collected = Map<FieldDef, unknown>;

const EXPECTED_WIRE: Record<ScalarType, number> = {
  string: WIRE_BYTES,
  bytes: WIRE_BYTES,
  int32: WIRE_VARINT,
  int64: WIRE_VARINT,
  bool: WIRE_VARINT,
  double: WIRE_FIXED64,
};

function readScalar(type: ScalarType, r: WireReader): unknown {
  switch (type) {
    case 'string':
      return r.string();
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'bool':
      return r.bool();
    case 'double':
      return r.double();
  }
}

function scalarZero(type: ScalarType): unknown {
  switch (type) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    default:
      return 0;
  }
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

function wrongWire(message: MessageDef, field: FieldDef, wire: number): WireError {
  const goName = field.name.charAt(0).toUpperCase() + field.name.slice(1);
  return new WireError(`proto: wrong wireType = ${wire} for field ${goName} in ${message.name}`);
}

export class Decoder {
  constructor(private readonly nested: NestedDecoder) {}

  message(def: MessageDef, r: WireReader): JsonObject {
    const collected: Collected = new Map();
    while (!r.done()) {
      const [number, wire] = r.tag(def.name);
      const field = def.byNumber.get(number);
      if (!field) {
        r.skip(wire);
        continue;
      }
      this.readField(def, field, wire, r, collected);
    }
    return this.toJson(def, collected);
  }

  private readField(def: MessageDef, field: FieldDef, wire: number, r: WireReader, collected: Collected): void {
    if (field.label === 'map') {
      if (wire !== WIRE_BYTES) throw wrongWire(def, field, wire);
      const [start, end] = r.range();
      const [key, value] = this.mapEntry(field, new WireReader(r.buf, start, end));
      const map = (collected.get(field) as JsonObject | undefined) ?? {};
      map[key] = value;
      collected.set(field, map);
      return;
    }
    if (field.label === 'repeated') {
      const list = (collected.get(field) as unknown[] | undefined) ?? [];
      collected.set(field, list);
      const type = field.type;
      if (type.kind === 'scalar' && wire === WIRE_BYTES && EXPECTED_WIRE[type.scalar] !== WIRE_BYTES) {
        // Packed encoding: proto2 writers do not use it, but decoders must accept it.
        const [start, end] = r.range();
        const packed = new WireReader(r.buf, start, end);
        while (!packed.done()) list.push(readScalar(type.scalar, packed));
        return;
      }
      list.push(this.single(def, field, wire, r));
      return;
    }
    collected.set(field, this.single(def, field, wire, r));
  }

  private single(def: MessageDef, field: FieldDef, wire: number, r: WireReader): unknown {
    const type = field.type;
    if (type.kind === 'scalar') {
      if (wire !== EXPECTED_WIRE[type.scalar]) throw wrongWire(def, field, wire);
      return readScalar(type.scalar, r);
    }
    if (wire !== WIRE_BYTES) throw wrongWire(def, field, wire);
    const [start, end] = r.range();
    const sub = new WireReader(r.buf, start, end);
    return type.kind === 'special' ? decodeSpecial(type.special, sub, this.nested) : this.message(type.message, sub);
  }

  /** Map entries are messages {1: key, 2: value}; a missing value is its type's zero. */
  private mapEntry(field: FieldDef, r: WireReader): [string, unknown] {
    let key = '';
    let value: unknown;
    const entry: FieldDef = { ...field, label: 'single', name: 'value', number: 2 };
    while (!r.done()) {
      const [number, wire] = r.tag('MapEntry');
      if (number === 1 && wire === WIRE_BYTES) key = r.string();
      else if (number === 2) value = this.single({ name: 'MapEntry' } as MessageDef, entry, wire, r);
      else r.skip(wire);
    }
    return [key, value === undefined ? this.zero(entry) : value];
  }

  private zero(field: FieldDef): unknown {
    const type = field.type;
    if (type.kind === 'scalar') return scalarZero(type.scalar);
    if (type.kind === 'special') return specialZero(type.special);
    return this.message(type.message, new WireReader(new Uint8Array(0)));
  }

  private toJson(def: MessageDef, collected: Collected): JsonObject {
    const out: JsonObject = {};
    for (const field of def.fields) {
      const value = collected.get(field);
      if (field.inline) {
        Object.assign(out, value ?? this.zero(field));
        continue;
      }
      if (field.label === 'repeated') {
        const list = value as unknown[] | undefined;
        if (list?.length) out[field.name] = list;
        else if (field.keepZero) out[field.name] = [];
        continue;
      }
      if (field.label === 'map') {
        if (value !== undefined) out[field.name] = value;
        continue;
      }
      if (value !== undefined) {
        const omit = field.type.kind === 'scalar' && !field.pointer && !field.keepZero && isZero(value);
        if (!omit) out[field.name] = value;
        continue;
      }
      // Absent from the wire: gogo never omits non-pointer fields, but other writers may.
      if (field.pointer) continue;
      if (field.type.kind !== 'scalar' || field.keepZero) out[field.name] = this.zero(field);
    }
    return out;
  }
}
