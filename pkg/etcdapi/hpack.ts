/**
 * Just enough HPACK (RFC 7541) to read the header blocks an HTTP/2 client sends and write
 * them again: a decoder that keeps the client's dynamic table, and an encoder that writes
 * literals only (no dynamic table, no Huffman), so its output needs no state on the server.
 * Used by authority.ts; see there for why.
 */

export interface HeaderField {
  name: string;
  value: string;
  /** Sent as "never indexed" (sensitive, e.g. authorization): kept that way. */
  sensitive: boolean;
}

export class HpackError extends Error {}

/** RFC 7541 Appendix A. */
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];

/**
 * Bit lengths of the Huffman code of each byte and of EOS (RFC 7541 Appendix B). The code is
 * canonical (codes of one length are consecutive in symbol order), so the lengths define it.
 */
const CODE_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

/** For each code length: the first code of that length, and the symbols of that length in order. */
interface CanonicalCode {
  firstCode: number[];
  symbols: number[][];
}

function buildCanonicalCode(): CanonicalCode {
  const symbols: number[][] = Array.from({ length: 31 }, () => []);
  CODE_LENGTHS.forEach((len, sym) => symbols[len]!.push(sym));
  const firstCode: number[] = new Array(31).fill(0);
  let code = 0;
  for (let len = 1; len <= 30; len++) {
    code = (code + (symbols[len - 1]?.length ?? 0)) * 2;
    firstCode[len] = code;
  }
  return { firstCode, symbols };
}

const HUFFMAN = buildCanonicalCode();
const EOS = 256;

/** The code of a symbol, for tests that check the table against the RFC. */
export function huffmanCode(symbol: number): { code: number; bits: number } {
  const bits = CODE_LENGTHS[symbol]!;
  return { code: HUFFMAN.firstCode[bits]! + HUFFMAN.symbols[bits]!.indexOf(symbol), bits };
}

export function huffmanDecode(data: Buffer): Buffer {
  const out: number[] = [];
  let code = 0;
  let len = 0;
  for (const byte of data) {
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((byte >> bit) & 1);
      len++;
      const offset = code - HUFFMAN.firstCode[len]!;
      const row = HUFFMAN.symbols[len]!;
      if (offset >= 0 && offset < row.length) {
        const sym = row[offset]!;
        if (sym === EOS) throw new HpackError('EOS in a Huffman string');
        out.push(sym);
        code = 0;
        len = 0;
      } else if (len >= 30) {
        throw new HpackError('bad Huffman code');
      }
    }
  }
  // Padding: at most 7 bits, all ones (the start of EOS).
  if (len > 7 || code !== 2 ** len - 1) throw new HpackError('bad Huffman padding');
  return Buffer.from(out);
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  peek(): number {
    if (this.done) throw new HpackError('header block ends early');
    return this.buf[this.pos]!;
  }

  integer(prefixBits: number): number {
    const max = 2 ** prefixBits - 1;
    let value = this.peek() & max;
    this.pos++;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      const b = this.peek();
      this.pos++;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
      if (shift > 28) throw new HpackError('integer too large');
    }
    return value;
  }

  string(): string {
    const huffman = (this.peek() & 0x80) !== 0;
    const length = this.integer(7);
    if (this.pos + length > this.buf.length) throw new HpackError('string runs past the header block');
    const raw = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return (huffman ? huffmanDecode(raw) : raw).toString('latin1');
  }
}

/** One decoder per connection: the dynamic table spans the connection's header blocks. */
export class HpackDecoder {
  private table: Array<readonly [string, string]> = [];
  private size = 0;

  /** maxTableSize: what the server advertised (SETTINGS_HEADER_TABLE_SIZE, 4096 by default in Node). */
  constructor(private maxTableSize = 4096, private readonly limit = 65536) {}

  decode(block: Buffer): HeaderField[] {
    const r = new Reader(block);
    const fields: HeaderField[] = [];
    while (!r.done) {
      const b = r.peek();
      if (b & 0x80) {
        const [name, value] = this.entry(r.integer(7));
        fields.push({ name, value, sensitive: false });
      } else if (b & 0x40) {
        const field = this.literal(r, 6);
        this.add(field.name, field.value);
        fields.push(field);
      } else if (b & 0x20) {
        const size = r.integer(5);
        if (size > this.limit) throw new HpackError(`dynamic table size ${size} over ${this.limit}`);
        this.maxTableSize = size;
        this.evict(0);
      } else {
        const field = this.literal(r, 4);
        field.sensitive = (b & 0x10) !== 0;
        fields.push(field);
      }
    }
    return fields;
  }

  private literal(r: Reader, prefixBits: number): HeaderField {
    const index = r.integer(prefixBits);
    const name = index === 0 ? r.string() : this.entry(index)[0];
    return { name, value: r.string(), sensitive: false };
  }

  private entry(index: number): readonly [string, string] {
    if (index >= 1 && index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const entry = this.table[index - STATIC_TABLE.length - 1];
    if (!entry) throw new HpackError(`header index ${index} not in the table`);
    return entry;
  }

  private add(name: string, value: string): void {
    const size = name.length + value.length + 32;
    this.evict(size);
    if (size <= this.maxTableSize) {
      this.table.unshift([name, value]);
      this.size += size;
    }
  }

  private evict(room: number): void {
    while (this.table.length > 0 && this.size + room > this.maxTableSize) {
      const [name, value] = this.table.pop()!;
      this.size -= name.length + value.length + 32;
    }
  }
}

/** Literal fields without indexing and without Huffman: stateless for the receiver. */
export function encodeLiterals(fields: HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of fields) {
    parts.push(integer(0, f.sensitive ? 0x10 : 0x00, 4), stringLiteral(f.name), stringLiteral(f.value));
  }
  return Buffer.concat(parts);
}

function stringLiteral(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  return Buffer.concat([integer(bytes.length, 0x00, 7), bytes]);
}

function integer(value: number, flags: number, prefixBits: number): Buffer {
  const max = 2 ** prefixBits - 1;
  if (value < max) return Buffer.from([flags | value]);
  const out = [flags | max];
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out);
}
