/**
 * Resource quantities in Kubernetes' canonical form (apimachinery resource.Quantity.String):
 * "1500m" stays, "1.5" becomes "1500m", "0.5Gi" becomes "512Mi", "2000" becomes "2k", "1e3"
 * stays in exponent form. Printers show quantities the way a real API server would after
 * decoding and re-encoding them.
 */

type Format = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

interface Quantity {
  /** The value is mantissa × 10^scale. */
  mantissa: bigint;
  scale: number;
  format: Format;
}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;
/** Kubernetes keeps at most nano precision and rounds finer values up. */
const MIN_SCALE = -9;

export function parseQuantity(text: string): Quantity | undefined {
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const [, sign, number, suffix = ''] = match;
  const [whole, fraction = ''] = number.split('.');
  let mantissa = BigInt((whole || '0') + fraction);
  let scale = -fraction.length;
  let format: Format = 'DecimalSI';
  if (suffix in BINARY_SUFFIXES) {
    mantissa *= 1024n ** BigInt(BINARY_SUFFIXES[suffix]);
    format = 'BinarySI';
  } else if (suffix in DECIMAL_SUFFIXES) {
    scale += DECIMAL_SUFFIXES[suffix];
  } else {
    scale += Number(suffix.slice(1));
    format = 'DecimalExponent';
  }
  if (scale < MIN_SCALE) {
    const divisor = 10n ** BigInt(MIN_SCALE - scale);
    mantissa = mantissa / divisor + (mantissa % divisor === 0n ? 0n : 1n);
    scale = MIN_SCALE;
  }
  return { mantissa: sign === '-' ? -mantissa : mantissa, scale, format };
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** The integer value when the quantity is whole, else undefined. */
function wholeValue(q: Quantity): bigint | undefined {
  if (q.scale >= 0) return q.mantissa * 10n ** BigInt(q.scale);
  const divisor = 10n ** BigInt(-q.scale);
  return q.mantissa % divisor === 0n ? q.mantissa / divisor : undefined;
}

function decimalString(q: Quantity, format: Format): string {
  let mantissa = q.mantissa;
  let exponent = q.scale;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  // Exponents are multiples of three so that an SI suffix exists for them.
  const rest = exponent % 3;
  if (rest === 1 || rest === -2) {
    mantissa *= 10n;
    exponent -= 1;
  } else if (rest === 2 || rest === -1) {
    mantissa *= 100n;
    exponent -= 2;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  const suffix = Object.keys(DECIMAL_SUFFIXES).find((s) => DECIMAL_SUFFIXES[s] === exponent);
  return suffix === undefined ? `${mantissa}e${exponent}` : `${mantissa}${suffix}`;
}

function binaryString(value: bigint): string {
  let power = 0;
  while (value % 1024n === 0n && power < 6) {
    value /= 1024n;
    power++;
  }
  const suffix = Object.keys(BINARY_SUFFIXES).find((s) => BINARY_SUFFIXES[s] === power) ?? '';
  return `${value}${suffix}`;
}

export function canonicalQuantity(q: Quantity): string {
  if (q.mantissa === 0n) return '0';
  if (q.format === 'BinarySI') {
    const whole = wholeValue(q);
    // Small or fractional binary quantities read better (and exactly) in decimal SI.
    if (whole !== undefined && abs(whole) >= 1024n) return binaryString(whole);
    return decimalString(q, 'DecimalSI');
  }
  return decimalString(q, q.format);
}

/** Quantity.String() for a stored quantity; "0" when absent, the text itself when unparsable. */
export function quantityString(value: unknown): string {
  if (typeof value === 'number') value = String(value);
  if (typeof value !== 'string' || value === '') return '0';
  const q = parseQuantity(value);
  return q ? canonicalQuantity(q) : value;
}
