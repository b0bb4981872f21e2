/**
 * Label and field selectors in Kubernetes' query syntax (`app=web,tier!=db,env in (a,b),!x`,
 * `spec.nodeName=n1,status.phase!=Running`). Parsed once per request into a predicate.
 */
import { apiErrors } from './errors.ts';

export type LabelOperator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type Labels = Record<string, string> | undefined;

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

class Lexer {
  pos = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  peek(s: string): boolean {
    this.skipSpace();
    return this.text.startsWith(s, this.pos);
  }

  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    this.pos += s.length;
    return true;
  }

  /** An identifier or value: anything up to a delimiter. */
  word(): string {
    this.skipSpace();
    const start = this.pos;
    while (this.pos < this.text.length && !/[\s,=!()<>]/.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }
}

function parseError(detail: string): Error {
  return apiErrors.badRequest(`unable to parse requirement: ${detail}`);
}

function checkKey(key: string): void {
  if (key === '' || key.length > 317 || !KEY.test(key)) {
    throw parseError(`invalid label key "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`);
  }
}

function checkValue(value: string): void {
  if (value.length > 63 || !VALUE.test(value)) {
    throw parseError(`invalid label value: "${value}": at key: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`);
  }
}

export function parseLabelSelector(text: string): LabelRequirement[] {
  const lx = new Lexer(text);
  const reqs: LabelRequirement[] = [];
  if (lx.atEnd()) return reqs;
  for (;;) {
    let req: LabelRequirement;
    if (lx.eat('!')) {
      const key = lx.word();
      checkKey(key);
      req = { key, operator: '!', values: [] };
    } else {
      const key = lx.word();
      checkKey(key);
      if (lx.atEnd() || lx.peek(',')) {
        req = { key, operator: 'exists', values: [] };
      } else if (lx.eat('==') || lx.eat('=')) {
        const v = lx.word();
        checkValue(v);
        req = { key, operator: '=', values: [v] };
      } else if (lx.eat('!=')) {
        const v = lx.word();
        checkValue(v);
        req = { key, operator: '!=', values: [v] };
      } else if (lx.eat('>') || lx.eat('<')) {
        const op = lx.text[lx.pos - 1] === '>' ? 'gt' : 'lt';
        const v = lx.word();
        if (!/^-?\d+$/.test(v)) throw parseError(`for 'Gt', 'Lt' operators, the value must be an integer`);
        req = { key, operator: op, values: [v] };
      } else {
        const op = lx.word();
        if (op !== 'in' && op !== 'notin') {
          throw parseError(`found '${op || lx.text.slice(lx.pos, lx.pos + 1)}', expected: in, notin, =, ==, !=, gt, lt`);
        }
        if (!lx.eat('(')) throw parseError(`found '${lx.text.slice(lx.pos, lx.pos + 1)}', expected: '('`);
        const values: string[] = [];
        if (!lx.peek(')')) {
          for (;;) {
            const v = lx.word();
            checkValue(v);
            values.push(v);
            if (lx.eat(',')) continue;
            break;
          }
        }
        if (!lx.eat(')')) throw parseError(`found '${lx.text.slice(lx.pos, lx.pos + 1)}', expected: ',', ')'`);
        if (values.length === 0) throw parseError(`for 'in', 'notin' operators, values set can't be empty`);
        req = { key, operator: op, values };
      }
    }
    reqs.push(req);
    if (lx.atEnd()) return reqs;
    if (!lx.eat(',')) throw parseError(`found '${lx.word() || lx.text[lx.pos]}', expected: ',' or 'end of string'`);
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
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const n = Number(value);
        const bound = Number(r.values[0]);
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

/** Splits on unescaped commas; `\,` `\=` `\\` escape as in Kubernetes' fields.ParseSelector. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (text.trim() === '') return out;
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  for (const part of parts) {
    const m = /^(.*?)(==|!=|=)(.*)$/s.exec(part);
    if (!m || m[1]!.trim() === '') throw apiErrors.badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const value = m[3]!.replace(/\\(.)/g, '$1');
    out.push({ field: m[1]!.trim(), operator: m[2] === '!=' ? '!=' : '=', value });
  }
  return out;
}

export function matchesFields(reqs: FieldRequirement[], fields: (field: string) => string | undefined): boolean {
  for (const r of reqs) {
    const v = fields(r.field) ?? '';
    if (r.operator === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
