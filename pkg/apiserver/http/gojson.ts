/**
 * Go's encoding/json as kube-apiserver's decoders word it: the syntax check every body goes
 * through first (scanner.go: its states, its 10,000-level depth limit and its error texts), so
 * a malformed body is refused with the very message Kubernetes sends. It only validates; the
 * value itself is then read with JSON.parse, which is safe once the scan has passed.
 */

/** encoding/json's maxNestingDepth. */
export const GO_JSON_MAX_DEPTH = 10_000;

const enum Parse {
  ObjectKey,
  ObjectValue,
  ArrayValue,
}

type Step = (c: number) => void;

class SyntaxFailure extends Error {}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** strconv.IsPrint for the code points one byte can name (Go converts the byte to a rune). */
function isGoPrintable(code: number): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(String.fromCodePoint(code));
}

/** scanner.go's quoteChar: 'x', '\'', '"', '\n', '\x00'-style escapes as strconv.Quote writes them. */
export function goQuoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v', 0x5c: '\\\\' };
  if (named[c] !== undefined) return `'${named[c]}'`;
  if (isGoPrintable(c)) return `'${String.fromCodePoint(c)}'`;
  if (c < 0x80) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  return `'\\u${c.toString(16).padStart(4, '0')}'`;
}

/**
 * The error json.Unmarshal reports for a body that is not valid JSON, or undefined when it is.
 * Mirrors checkValid: every byte steps the scanner, then end of input is checked.
 */
export function goJsonSyntaxError(data: Uint8Array): string | undefined {
  const stack: Parse[] = [];
  let endTop = false;
  let step: Step;

  const fail = (c: number, context: string): never => {
    throw new SyntaxFailure(`invalid character ${goQuoteChar(c)} ${context}`);
  };
  const push = (c: number, state: Parse): void => {
    stack.push(state);
    if (stack.length > GO_JSON_MAX_DEPTH) fail(c, 'exceeded max depth');
  };
  const pop = (): void => {
    stack.pop();
    if (stack.length === 0) {
      step = endOfTop;
      endTop = true;
    } else {
      step = endValue;
    }
  };
  const literal = (rest: string, word: string): Step => {
    let i = 0;
    const next: Step = (c) => {
      if (c !== rest.charCodeAt(i)) fail(c, `in literal ${word} (expecting '${rest[i]}')`);
      i++;
      step = i === rest.length ? endValue : next;
    };
    return next;
  };

  const beginValue: Step = (c) => {
    if (isSpace(c)) return;
    switch (c) {
      case 0x7b: // {
        step = beginStringOrEmpty;
        push(c, Parse.ObjectKey);
        return;
      case 0x5b: // [
        step = beginValueOrEmpty;
        push(c, Parse.ArrayValue);
        return;
      case 0x22:
        step = inString;
        return;
      case 0x2d:
        step = negative;
        return;
      case 0x30:
        step = zero;
        return;
      case 0x74:
        step = literal('rue', 'true');
        return;
      case 0x66:
        step = literal('alse', 'false');
        return;
      case 0x6e:
        step = literal('ull', 'null');
        return;
    }
    if (c >= 0x31 && c <= 0x39) {
      step = integer;
      return;
    }
    fail(c, 'looking for beginning of value');
  };
  const beginValueOrEmpty: Step = (c) => {
    if (isSpace(c)) return;
    if (c === 0x5d) return endValue(c);
    beginValue(c);
  };
  const beginStringOrEmpty: Step = (c) => {
    if (isSpace(c)) return;
    if (c === 0x7d) {
      stack[stack.length - 1] = Parse.ObjectValue;
      return endValue(c);
    }
    beginString(c);
  };
  const beginString: Step = (c) => {
    if (isSpace(c)) return;
    if (c === 0x22) {
      step = inString;
      return;
    }
    fail(c, 'looking for beginning of object key string');
  };
  const endValue: Step = (c) => {
    if (stack.length === 0) {
      step = endOfTop;
      endTop = true;
      return endOfTop(c);
    }
    if (isSpace(c)) {
      step = endValue;
      return;
    }
    switch (stack[stack.length - 1]) {
      case Parse.ObjectKey:
        if (c === 0x3a) {
          stack[stack.length - 1] = Parse.ObjectValue;
          step = beginValue;
          return;
        }
        return fail(c, 'after object key');
      case Parse.ObjectValue:
        if (c === 0x2c) {
          stack[stack.length - 1] = Parse.ObjectKey;
          step = beginString;
          return;
        }
        if (c === 0x7d) return pop();
        return fail(c, 'after object key:value pair');
      default:
        if (c === 0x2c) {
          step = beginValue;
          return;
        }
        if (c === 0x5d) return pop();
        return fail(c, 'after array element');
    }
  };
  const endOfTop: Step = (c) => {
    if (!isSpace(c)) fail(c, 'after top-level value');
  };
  const inString: Step = (c) => {
    if (c === 0x22) step = endValue;
    else if (c === 0x5c) step = inStringEscape;
    else if (c < 0x20) fail(c, 'in string literal');
  };
  const inStringEscape: Step = (c) => {
    if ([0x62, 0x66, 0x6e, 0x72, 0x74, 0x5c, 0x2f, 0x22].includes(c)) {
      step = inString;
      return;
    }
    if (c === 0x75) {
      let digits = 0;
      step = (h) => {
        if (!isHex(h)) fail(h, 'in \\u hexadecimal character escape');
        if (++digits === 4) step = inString;
      };
      return;
    }
    fail(c, 'in string escape code');
  };
  const negative: Step = (c) => {
    if (c === 0x30) step = zero;
    else if (c >= 0x31 && c <= 0x39) step = integer;
    else fail(c, 'in numeric literal');
  };
  const integer: Step = (c) => {
    if (isDigit(c)) return;
    zero(c);
  };
  const zero: Step = (c) => {
    if (c === 0x2e) step = dot;
    else if (c === 0x65 || c === 0x45) step = exponent;
    else endValue(c);
  };
  const dot: Step = (c) => {
    if (isDigit(c)) step = fraction;
    else fail(c, 'after decimal point in numeric literal');
  };
  const fraction: Step = (c) => {
    if (isDigit(c)) return;
    if (c === 0x65 || c === 0x45) step = exponent;
    else endValue(c);
  };
  const exponent: Step = (c) => {
    if (c === 0x2b || c === 0x2d) step = exponentSign;
    else exponentSign(c);
  };
  const exponentSign: Step = (c) => {
    if (isDigit(c)) step = exponentDigits;
    else fail(c, 'in exponent of numeric literal');
  };
  const exponentDigits: Step = (c) => {
    if (!isDigit(c)) endValue(c);
  };

  step = beginValue;
  try {
    for (const c of data) step(c);
    if (!endTop) {
      // scanner.eof: one more space ends a top-level number; anything else ended early.
      step(0x20);
      if (!endTop) return 'unexpected end of JSON input';
    }
  } catch (err) {
    if (err instanceof SyntaxFailure) return err.message;
    throw err;
  }
  return undefined;
}

/** The JSON kind in UnmarshalTypeError texts ("cannot unmarshal array into …"). */
export function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/**
 * summarizeData from the apiserver's handlers: a JSON object shows its first 30 bytes as text,
 * anything else (YAML, protobuf) as hex, both with " ..." when cut.
 */
export function summarizeBody(data: Uint8Array, max = 30): string {
  if (data.length === 0) return '<empty>';
  const cut = data.length > max;
  const head = Buffer.from(data.subarray(0, max));
  const shown = data[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return cut ? `${shown} ...` : shown;
}
