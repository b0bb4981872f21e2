/**
 * Label and field selectors in Kubernetes' query syntax (`app=web,tier!=db,env in (a,b),!x`,
 * `spec.nodeName=n1,status.phase!=Running`), parsed once per request into requirements. The
 * grammar, the accepted oddities (`a=`, `a in ()`, `x in (a,)`) and the error texts follow
 * apimachinery's labels.Parse and fields.ParseSelector, since clients show them verbatim.
 */
import { isQualifiedName, isValidLabelValue } from '../api/validation/names.ts';
import { apiErrors } from './errors.ts';

export type LabelOperator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type Labels = Record<string, string> | undefined;

type Token = 'end' | 'ident' | 'in' | 'notin' | '!' | '!=' | '=' | '==' | '(' | ')' | ',' | '>' | '<';

interface Scanned {
  token: Token;
  text: string;
}

const SYMBOLS = new Set(['!', '!=', '=', '==', '(', ')', ',', '>', '<']);
const isSymbolChar = (c: string): boolean => '=!(),><'.includes(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/** Splits the selector into tokens: the longest operator, or a word up to a space or an operator. */
function scan(text: string): Scanned[] {
  const out: Scanned[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isSpace(text[i]!)) i++;
    if (i >= text.length) {
      out.push({ token: 'end', text: '' });
      return out;
    }
    let j = i;
    if (isSymbolChar(text[i]!)) {
      while (j < text.length && isSymbolChar(text[j]!) && SYMBOLS.has(text.slice(i, j + 1))) j++;
      const symbol = text.slice(i, j);
      out.push({ token: symbol as Token, text: symbol });
    } else {
      while (j < text.length && !isSpace(text[j]!) && !isSymbolChar(text[j]!)) j++;
      const word = text.slice(i, j);
      out.push({ token: word === 'in' || word === 'notin' ? word : 'ident', text: word });
    }
    i = j;
  }
}

/** Where values are expected, `in` and `notin` are plain words (`x in (in)`). */
type Context = 'values' | 'operator';

class Parser {
  private pos = 0;
  constructor(private readonly items: Scanned[]) {}

  peek(context: Context): Scanned {
    return this.as(this.items[this.pos]!, context);
  }

  next(context: Context): Scanned {
    return this.as(this.items[this.pos++]!, context);
  }

  private as(item: Scanned, context: Context): Scanned {
    if (context === 'values' && (item.token === 'in' || item.token === 'notin')) return { token: 'ident', text: item.text };
    return item;
  }
}

/** A field.Error's text as Kubernetes prints it; the parser passes no path, so the key's is `<nil>`. */
function invalid(path: string, value: string, detail: string): string {
  return `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
}

function keyError(key: string): string | undefined {
  const errs = isQualifiedName(key);
  return errs.length > 0 ? invalid('<nil>', key, errs.join('; ')) : undefined;
}

/** Go's strconv.ParseInt(s, 10, 64) succeeds. */
function isInt64(s: string): boolean {
  if (!/^[+-]?\d+$/.test(s)) return false;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

/** labels.NewRequirement's checks on values that parsed (values arrive sorted and unique). */
function requirementErrors(key: string, operator: LabelOperator, values: string[]): string[] {
  const errs: string[] = [];
  if (operator === 'gt' || operator === 'lt') {
    values.forEach((v, i) => {
      if (!isInt64(v)) errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
    });
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length > 0) errs.push(invalid(`values[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  return [...new Set(errs)];
}

class SelectorError extends Error {}

function fail(message: string): never {
  throw new SelectorError(message);
}

const OPERATORS: Partial<Record<Token, LabelOperator>> = { in: 'in', notin: 'notin', '=': '=', '==': '=', '!=': '!=', '>': 'gt', '<': 'lt' };

function parseRequirement(p: Parser): LabelRequirement {
  let first = p.next('values');
  const negated = first.token === '!';
  if (negated) first = p.next('values');
  if (first.token !== 'ident') fail(`found '${first.text}', expected: identifier`);
  const key = first.text;
  const badKey = keyError(key);
  if (badKey) fail(badKey);
  if (negated) return { key, operator: '!', values: [] };
  const after = p.peek('values').token;
  if (after === 'end' || after === ',') return { key, operator: 'exists', values: [] };

  const op = p.next('operator');
  const operator = OPERATORS[op.token];
  if (!operator) fail(`found '${op.text}', expected: in, notin, =, ==, !=, gt, lt`);
  const values = [...new Set(operator === 'in' || operator === 'notin' ? parseValueSet(p) : [parseExactValue(p)])].sort();
  const errs = requirementErrors(key, operator, values);
  if (errs.length > 0) fail(errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`);
  return { key, operator, values };
}

function parseExactValue(p: Parser): string {
  const ahead = p.peek('values').token;
  if (ahead === 'end' || ahead === ',') return '';
  const v = p.next('values');
  if (v.token !== 'ident') fail(`found '${v.text}', expected: identifier`);
  return v.text;
}

/** `(a,b)`; empty members (`()`, `(a,)`, `(,a)`, `(a,,b)`) are the empty value. */
function parseValueSet(p: Parser): string[] {
  const open = p.next('values');
  if (open.token !== '(') fail(`found '${open.text}' expected: '('`);
  const first = p.peek('values');
  if (first.token === ')') {
    p.next('values');
    return [''];
  }
  if (first.token !== 'ident' && first.token !== ',') fail(`found '${first.text}', expected: ',', ')' or identifier`);
  const values: string[] = [];
  for (;;) {
    const item = p.next('values');
    if (item.token === 'ident') {
      values.push(item.text);
      const ahead = p.peek('values');
      if (ahead.token === ',') continue;
      if (ahead.token === ')') break;
      fail(`found '${ahead.text}', expected: ',' or ')'`);
    } else if (item.token === ',') {
      if (values.length === 0) values.push('');
      const ahead = p.peek('values').token;
      if (ahead === ')') {
        values.push('');
        break;
      }
      if (ahead === ',') {
        p.next('values');
        values.push('');
      }
    } else {
      fail(`found '${item.text}', expected: ',', or identifier`);
    }
  }
  p.next('values');
  return values;
}

function parseLabels(text: string): LabelRequirement[] {
  const p = new Parser(scan(text));
  const reqs: LabelRequirement[] = [];
  for (;;) {
    const ahead = p.peek('values');
    if (ahead.token === 'end') break;
    if (ahead.token !== 'ident' && ahead.token !== '!') fail(`found '${ahead.text}', expected: !, identifier, or 'end of string'`);
    try {
      reqs.push(parseRequirement(p));
    } catch (err) {
      if (err instanceof SelectorError) fail(`unable to parse requirement: ${err.message}`);
      throw err;
    }
    const sep = p.next('values');
    if (sep.token === 'end') break;
    if (sep.token !== ',') fail(`found '${sep.text}', expected: ',' or 'end of string'`);
    const following = p.peek('values');
    if (following.token !== 'ident' && following.token !== '!') fail(`found '${following.text}', expected: identifier after ','`);
  }
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Parses a labelSelector; a syntax error is 400 BadRequest with Kubernetes' text. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  try {
    return parseLabels(text);
  } catch (err) {
    if (err instanceof SelectorError) throw apiErrors.badRequest(err.message);
    throw err;
  }
}

export function matchesLabels(reqs: LabelRequirement[], labels: Labels): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = has ? labels![r.key]! : undefined;
    switch (r.operator) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case '=':
      case 'in':
        if (!has || !r.values.includes(value!)) return false;
        break;
      case '!=':
      case 'notin':
        if (has && r.values.includes(value!)) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !isInt64(value!) || r.values.length !== 1 || !isInt64(r.values[0]!)) return false;
        const n = BigInt(value!);
        const bound = BigInt(r.values[0]!);
        if (r.operator === 'gt' ? !(n > bound) : !(n < bound)) return false;
        break;
      }
    }
  }
  return true;
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** Splits on commas not escaped by a backslash (the escapes stay for unescapeValue). */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** `\\`, `\,` and `\=` are the only escapes; a bare `,` or `=` in a value is an error. */
function unescapeValue(value: string): string {
  let out = '';
  let escaped = false;
  for (const c of value) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') throw apiErrors.badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      escaped = false;
    } else if (c === '\\') {
      escaped = true;
    } else if (c === ',' || c === '=') {
      throw apiErrors.badRequest(`invalid field selector: unescaped character in value: ${c}`);
    } else {
      out += c;
    }
  }
  if (escaped) throw apiErrors.badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/**
 * Parses a fieldSelector as fields.ParseSelector: terms sorted, empty terms skipped, the field
 * name taken as written (no trimming; the caller rejects fields it does not support).
 */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (text === '') return out;
  for (const term of splitTerms(text).sort()) {
    if (term === '') continue;
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!m) throw apiErrors.badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    out.push({ field: m[1]!, operator: m[2] === '!=' ? '!=' : '=', value: unescapeValue(m[3]!) });
  }
  return out;
}

/** The value a selector pins a field to (`metadata.name=x`), as fields.Selector.RequiresExactMatch. */
export function requiredFieldValue(reqs: FieldRequirement[], field: string): string | undefined {
  return reqs.find((r) => r.field === field && r.operator === '=')?.value;
}

export function matchesFields(reqs: FieldRequirement[], fields: (field: string) => string | undefined): boolean {
  for (const r of reqs) {
    const v = fields(r.field) ?? '';
    if (r.operator === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
