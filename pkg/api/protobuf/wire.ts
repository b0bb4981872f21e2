/**
 * Protobuf wire format: varints, length-delimited fields, fixed 32/64-bit values. Kubernetes'
 * gogo-generated code reports malformed input with its own wording, so do we: the API server
 * puts these messages into the 400 a client sees.
 */

export class WireError extends Error {}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

const unexpectedEof = () => new WireError('unexpected EOF');

export class WireReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Varints of up to 28 bits (tags, lengths, most numbers) without BigInt; undefined otherwise. */
  private small(): number | undefined {
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= this.end) return undefined;
      const b = this.buf[pos++]!;
      result |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
    }
    return undefined;
  }

  /** Unsigned varint as a bigint: int64 fields use all 64 bits (negative numbers are 10 bytes). */
  varint(): bigint {
    const small = this.small();
    if (small !== undefined) return BigInt(small);
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift >= 70n) throw new WireError('proto: integer overflow');
      if (this.pos >= this.end) throw unexpectedEof();
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result & 0xffffffffffffffffn;
    }
  }

  int64(): number {
    return this.small() ?? Number(BigInt.asIntN(64, this.varint()));
  }

  int32(): number {
    return this.small() ?? Number(BigInt.asIntN(32, this.varint()));
  }

  bool(): boolean {
    const small = this.small();
    return small === undefined ? this.varint() !== 0n : small !== 0;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw unexpectedEof();
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8);
    this.pos += 8;
    return view.getFloat64(0, true);
  }

  /** The [start, end) range of a length-delimited field, consumed. */
  range(): [number, number] {
    const small = this.small();
    if (small !== undefined) {
      if (small > this.end - this.pos) throw unexpectedEof();
      const start = this.pos;
      this.pos += small;
      return [start, this.pos];
    }
    const len = this.varint();
    if (len > BigInt(this.end - this.pos)) {
      // gogo checks the sign first: lengths past 2^63 read as negative there.
      if (len >= 1n << 63n) throw new WireError('proto: negative length found during unmarshaling');
      throw unexpectedEof();
    }
    const start = this.pos;
    this.pos += Number(len);
    return [start, this.pos];
  }

  bytes(): Uint8Array {
    const [start, end] = this.range();
    return this.buf.subarray(start, end);
  }

  string(): string {
    const [start, end] = this.range();
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + start, end - start).toString('utf8');
  }

  /** Tag of the next field: [field number, wire type]. */
  tag(messageName: string): [number, number] {
    const small = this.small();
    const key = small === undefined ? this.varint() : undefined;
    const field = key === undefined ? small! >>> 3 : Number(key >> 3n);
    const wire = key === undefined ? small! & 7 : Number(key & 7n);
    if (field <= 0 || field > 0x1fffffff) {
      throw new WireError(`proto: ${messageName}: illegal tag ${field} (wire type ${wire})`);
    }
    if (wire === 4) throw new WireError(`proto: ${messageName}: wiretype end group for non-group`);
    return [field, wire];
  }

  /** Skips a field Kubernetes added after this table was written: newer clients stay readable. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_BYTES:
        this.range();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      case 3:
        this.skipGroup();
        return;
      default:
        throw new WireError(`proto: illegal wireType ${wire}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw unexpectedEof();
    this.pos += n;
  }

  private skipGroup(): void {
    for (;;) {
      const key = this.varint();
      const wire = Number(key & 7n);
      if (wire === 4) return;
      this.skip(wire);
    }
  }
}

/** Append-only writer; nested messages are written into their own writer, then copied in. */
export class WireWriter {
  private chunks: Uint8Array[] = [];
  private current = Buffer.allocUnsafe(64);
  private used = 0;
  length = 0;

  private reserve(n: number): void {
    if (this.used + n <= this.current.length) return;
    this.chunks.push(this.current.subarray(0, this.used));
    this.current = Buffer.allocUnsafe(Math.max(n, this.current.length * 2));
    this.used = 0;
  }

  private byte(b: number): void {
    this.reserve(1);
    this.current[this.used++] = b;
    this.length++;
  }

  varint(value: bigint | number): void {
    if (typeof value === 'number' && value >= 0 && value <= 0x7fffffff) {
      let n = value;
      while (n >= 0x80) {
        this.byte((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      this.byte(n);
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.current.set(data, this.used);
    this.used += data.length;
    this.length += data.length;
  }

  bytesField(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_BYTES);
    this.varint(data.length);
    this.raw(data);
  }

  stringField(field: number, value: string): void {
    this.bytesField(field, Buffer.from(value, 'utf8'));
  }

  doubleField(field: number, value: number): void {
    this.tag(field, WIRE_FIXED64);
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleLE(value, 0);
    this.raw(b);
  }

  finish(): Buffer {
    return Buffer.concat([...this.chunks, this.current.subarray(0, this.used)], this.length);
  }
}
