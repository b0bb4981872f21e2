/**
 * resource.Quantity: parsing ("100m", "1Gi", "1e3", "0.5") to an exact value and the canonical
 * form Kubernetes writes back ("1000m" → "1", "1536Mi" stays, "1.5Gi" → "1536Mi"). Values are
 * kept exactly in nano units, rounded away from zero below that, as Kubernetes does. The
 * scheduler and quota code use parseQuantity / quantityMilliValue / quantityValue.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value × 10^9, exact. */
  nanos: bigint;
  /** The notation the value was written in; decides the canonical suffix. */
  format: QuantityFormat;
}

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export class QuantityParseError extends Error {
  constructor(message = QUANTITY_FORMAT_ERROR) {
    super(message);
    this.name = 'QuantityParseError';
  }
}

const SHAPE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL_SUFFIX_EXPONENTS: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIX_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIX_EXPONENTS).map(([s, e]) => [e, s]));
const NANO = 1_000_000_000n;

const pow = (base: bigint, exp: number): bigint => base ** BigInt(exp);

/** numerator / denominator, rounded away from zero. */
function divideAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const q = numerator / denominator;
  if (q * denominator === numerator) return q;
  return numerator < 0n ? q - 1n : q + 1n;
}

interface Multiplier {
  format: QuantityFormat;
  /** The suffix's factor as base^exponent. */
  base: bigint;
  exponent: number;
}

function interpretSuffix(suffix: string): Multiplier | undefined {
  const binary = BINARY_SUFFIXES.indexOf(suffix);
  if (suffix !== '' && binary > 0) return { format: 'BinarySI', base: 2n, exponent: binary * 10 };
  if (suffix in DECIMAL_SUFFIX_EXPONENTS) return { format: 'DecimalSI', base: 10n, exponent: DECIMAL_SUFFIX_EXPONENTS[suffix]! };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?[0-9]+$/.test(suffix.slice(1))) {
    return { format: 'DecimalExponent', base: 10n, exponent: Number(suffix.slice(1)) };
  }
  return undefined;
}

/** Parses a quantity as written in JSON: a string, or a plain number (YAML `cpu: 1`). */
export function parseQuantity(input: string | number): Quantity {
  const text = typeof input === 'number' ? numberText(input) : input;
  const match = SHAPE.exec(text);
  if (!match) throw new QuantityParseError();
  let number = match[1]!;
  const multiplier = interpretSuffix(match[2]!);
  if (!multiplier) throw new QuantityParseError('unable to parse quantity\'s suffix');
  let negative = false;
  if (number[0] === '+' || number[0] === '-') {
    negative = number[0] === '-';
    number = number.slice(1);
  }
  const [whole = '', fraction = '', ...rest] = number.split('.');
  if (rest.length > 0 || (whole === '' && fraction === '')) throw new QuantityParseError();
  const digits = BigInt(`${whole}${fraction}` || '0') * (negative ? -1n : 1n);
  // value = digits × 10^-fraction.length × base^exponent; nanos = value × 10^9.
  let numerator = digits * NANO;
  let denominator = pow(10n, fraction.length);
  if (multiplier.exponent >= 0) numerator *= pow(multiplier.base, multiplier.exponent);
  else denominator *= pow(multiplier.base, -multiplier.exponent);
  const nanos = divideAwayFromZero(numerator, denominator);
  let format = multiplier.format;
  // A binary value below one cannot be shown with a binary suffix without rounding.
  if (format === 'BinarySI' && nanos > 0n && nanos < NANO) format = 'DecimalSI';
  return { nanos, format };
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityParseError();
  // JavaScript writes 1e21 as "1e+21"; the quantity grammar wants "1e21".
  return String(n).replace('e+', 'e');
}

export function tryParseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

function stripFactors(value: bigint, factor: bigint, limit = Infinity): { rest: bigint; count: number } {
  let rest = value;
  let count = 0;
  while (rest !== 0n && rest % factor === 0n && count < limit) {
    rest /= factor;
    count++;
  }
  return { rest, count };
}

/** The canonical text Kubernetes serialises a quantity as. */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  let format = q.format;
  if (format === 'BinarySI') {
    const small = q.nanos > -1024n * NANO && q.nanos < 1024n * NANO;
    if (small || q.nanos % NANO !== 0n) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    const { rest, count } = stripFactors(q.nanos / NANO, 1024n, BINARY_SUFFIXES.length - 1);
    return `${rest}${BINARY_SUFFIXES[count]}`;
  }
  const stripped = stripFactors(q.nanos, 10n);
  let mantissa = stripped.rest;
  let exponent = stripped.count - 9;
  // Exponents are shown in steps of three (milli, kilo, …): move the remainder into the mantissa.
  const remainder = ((exponent % 3) + 3) % 3;
  mantissa *= pow(10n, remainder);
  exponent -= remainder;
  if (format === 'DecimalSI' && DECIMAL_SUFFIX_BY_EXPONENT.has(exponent)) return `${mantissa}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent)}`;
  return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
}

/** Parses and writes back canonically; throws QuantityParseError on bad input. */
export function canonicalQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}

/** Whole units, rounded away from zero (Kubernetes' Value()): bytes for memory. */
export function quantityValue(q: Quantity): number {
  return Number(divideAwayFromZero(q.nanos, NANO));
}

/** Thousandths, rounded away from zero (Kubernetes' MilliValue()): millicores for CPU. */
export function quantityMilliValue(q: Quantity): number {
  return Number(divideAwayFromZero(q.nanos, 1_000_000n));
}

export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** Sum in the first operand's notation, as Quantity.Add keeps the receiver's format. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.format };
}
